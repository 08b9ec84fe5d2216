import { describe, expect, it } from 'vitest';
import { restrictedViolations, type PodSpec } from './podSecurity.ts';

/** A pod that passes `restricted`, written from the standard's own example of a compliant pod. */
const compliant = (): PodSpec => ({
  securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'app', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  volumes: [
    { name: 'tmp', emptyDir: {} },
    { name: 'config', configMap: { name: 'c' } },
  ],
});

describe('the restricted Pod Security Standard', () => {
  it('admits a pod that sets what restricted asks for', () => {
    expect(restrictedViolations(compliant())).toEqual([]);
  });

  it('refuses each thing restricted forbids, naming it', () => {
    const cases: Array<[string, (p: PodSpec) => void, RegExp]> = [
      ['no seccomp profile', (p) => delete p.securityContext!.seccompProfile, /no seccomp profile/],
      [
        'an unconfined seccomp profile',
        (p) => (p.containers[0]!.securityContext!.seccompProfile = { type: 'Unconfined' }),
        /seccomp profile Unconfined/,
      ],
      [
        'privilege escalation left on',
        (p) => delete p.containers[0]!.securityContext!.allowPrivilegeEscalation,
        /allowPrivilegeEscalation must be false/,
      ],
      ['root allowed', (p) => delete p.securityContext!.runAsNonRoot, /runAsNonRoot must be true/],
      ['user 0', (p) => (p.containers[0]!.securityContext!.runAsUser = 0), /runs as user 0/],
      [
        'capabilities kept',
        (p) => (p.containers[0]!.securityContext!.capabilities = { drop: ['NET_RAW'] }),
        /must drop ALL/,
      ],
      [
        'a capability added',
        (p) => (p.containers[0]!.securityContext!.capabilities!.add = ['SYS_ADMIN']),
        /adds capability SYS_ADMIN/,
      ],
      [
        'a hostPath volume',
        (p) => p.volumes!.push({ name: 'host', hostPath: { path: '/' } }),
        /hostPath volumes are forbidden/,
      ],
      ['a gitRepo volume', (p) => p.volumes!.push({ name: 'repo', gitRepo: {} }), /type gitRepo is not allowed/],
      ['the host network', (p) => (p.hostNetwork = true), /host namespaces/],
      [
        'a privileged init container',
        (p) =>
          (p.initContainers = [
            {
              name: 'init',
              securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ]),
        /container init: privileged/,
      ],
      ['a host port', (p) => (p.containers[0]!.ports = [{ hostPort: 80 }]), /hostPort 80/],
    ];
    for (const [what, breakIt, expected] of cases) {
      const pod = compliant();
      breakIt(pod);
      expect(restrictedViolations(pod), what).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    }
  });

  it('allows NET_BIND_SERVICE, and a seccomp profile set per container instead of on the pod', () => {
    const pod = compliant();
    delete pod.securityContext!.seccompProfile;
    pod.containers[0]!.securityContext = {
      ...pod.containers[0]!.securityContext,
      seccompProfile: { type: 'Localhost' },
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    };
    expect(restrictedViolations(pod)).toEqual([]);
  });
});
