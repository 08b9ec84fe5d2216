// The `restricted` Pod Security Standard, applied to a pod spec as the admission controller applies it
// (https://kubernetes.io/docs/concepts/security/pod-security-standards/, policy version "latest"): the
// baseline controls plus the restricted ones. A pure function, so a test can break a pod and watch it fail.

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seccompProfile?: { type?: string; localhostProfile?: string };
  capabilities?: { add?: string[]; drop?: string[] };
  procMount?: string;
  seLinuxOptions?: { type?: string };
  windowsOptions?: { hostProcess?: boolean };
  appArmorProfile?: { type?: string };
  sysctls?: Array<{ name: string }>;
}

interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: Array<{ hostPort?: number }>;
}

export interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Array<Record<string, unknown> & { name: string }>;
}

/** Volume types the restricted level allows. */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
/** Sysctls the baseline level allows. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/** What keeps a pod from being admitted under `restricted`, one line each; empty when it passes. */
export function restrictedViolations(spec: PodSpec): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  const containers = [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];

  // Baseline.
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC)
    problems.push('host namespaces: hostNetwork, hostPID and hostIPC must be unset or false');
  if (pod.windowsOptions?.hostProcess) problems.push('hostProcess must not be true');
  for (const v of spec.volumes ?? [])
    if ('hostPath' in v) problems.push(`volume ${v.name}: hostPath volumes are forbidden`);
  for (const s of pod.sysctls ?? [])
    if (!SAFE_SYSCTLS.has(s.name)) problems.push(`sysctl ${s.name} is not in the safe set`);
  if (pod.seLinuxOptions?.type !== undefined && !SELINUX_TYPES.has(pod.seLinuxOptions.type))
    problems.push(`SELinux type ${pod.seLinuxOptions.type} is not allowed`);

  // Restricted.
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type) && type !== 'hostPath')
      problems.push(`volume ${v.name}: type ${type} is not allowed (only ${[...RESTRICTED_VOLUMES].join(', ')})`);
  }
  if (pod.runAsUser === 0) problems.push('the pod runs as user 0');
  const podSeccomp = pod.seccompProfile?.type;
  if (podSeccomp !== undefined && !['RuntimeDefault', 'Localhost'].includes(podSeccomp))
    problems.push(`the pod's seccomp profile is ${podSeccomp}; RuntimeDefault or Localhost`);

  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) problems.push(`${where}: privileged`);
    if (sc.windowsOptions?.hostProcess) problems.push(`${where}: hostProcess`);
    for (const p of c.ports ?? []) if (p.hostPort) problems.push(`${where}: hostPort ${p.hostPort}`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') problems.push(`${where}: procMount ${sc.procMount}`);
    if (sc.appArmorProfile?.type !== undefined && !['RuntimeDefault', 'Localhost'].includes(sc.appArmorProfile.type))
      problems.push(`${where}: AppArmor profile ${sc.appArmorProfile.type}`);
    if (sc.seLinuxOptions?.type !== undefined && !SELINUX_TYPES.has(sc.seLinuxOptions.type))
      problems.push(`${where}: SELinux type ${sc.seLinuxOptions.type}`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot === undefined && pod.runAsNonRoot !== true))
      problems.push(`${where}: runAsNonRoot must be true (on the pod or the container)`);
    if (sc.runAsUser === 0) problems.push(`${where}: runs as user 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp === undefined)
      problems.push(`${where}: no seccomp profile; set seccompProfile.type RuntimeDefault on the pod or the container`);
    else if (!['RuntimeDefault', 'Localhost'].includes(seccomp))
      problems.push(`${where}: seccomp profile ${seccomp}; RuntimeDefault or Localhost`);
    if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities must drop ALL`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== 'NET_BIND_SERVICE')
        problems.push(`${where}: adds capability ${cap} (only NET_BIND_SERVICE may be added)`);
  }
  return problems;
}
