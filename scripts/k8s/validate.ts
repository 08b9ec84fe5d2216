// Renders every kustomize overlay under k8s/overlays (kubectl kustomize, offline) and checks each object:
// strictly against the Kubernetes schemas (k8s/schemas) and the KEDA and Strimzi CRDs (k8s/crds), and against the code — the
// KafkaTopics must match schemas/topics.ts, each ScaledObject must watch its stage's input topic and
// consumer group, and each stage must be given the time to drain that its runtime takes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { STAGE_INPUTS, TOPIC_PREFIX } from '../../schemas/index.ts';
import { SERVICE_NAMES, loadRuntimeConfig, type ServiceName } from '../../platform/index.ts';
import { kafkaTopicResource, strimziCluster, topicsWithPrefix } from './topics.ts';
import { restrictedViolations, type PodSpec } from './podSecurity.ts';
import { CrdValidator } from './crdSchemas.ts';
import { CoreValidator } from './coreSchemas.ts';

type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
} & Record<string, unknown>;

export interface OverlayReport {
  overlay: string;
  objects: K8sObject[];
  problems: string[];
}

export function findKubectl(): string {
  const candidates = [process.env.WEBTRAIL_KUBECTL, 'kubectl'].filter(Boolean) as string[];
  for (const c of candidates) if (spawnSync(c, ['version', '--client'], { encoding: 'utf8' }).status === 0) return c;
  throw new Error(
    'k8s:validate needs kubectl to render kustomize overlays: apt-get install -y kubernetes-client (or set WEBTRAIL_KUBECTL)',
  );
}

export function render(kubectl: string, dir: string): { objects: K8sObject[]; error?: string } {
  const result = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0)
    return {
      objects: [],
      error: `kubectl kustomize ${dir} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(0, 5).join(' | ')}`,
    };
  const docs = parseAllDocuments(result.stdout);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length) return { objects: [], error: `unreadable YAML from kustomize: ${doc.errors[0]!.message}` };
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return { objects };
}

const id = (o: K8sObject) => `${o.kind ?? '?'} ${o.metadata?.name ?? '?'}`;

function schemaProblems(o: K8sObject, schemas: { core: CoreValidator; crds: CrdValidator }): string[] {
  // A custom resource: against its published CRD (k8s/crds/), its metadata against Kubernetes' own.
  if (schemas.crds.has(o.apiVersion, o.kind)) {
    return [...schemas.core.metadataProblems(o.metadata), ...schemas.crds.problems(o)].map(
      (p) => `${id(o)}: ${p} (CRD schema in k8s/crds)`,
    );
  }
  if (!schemas.core.has(o.apiVersion, o.kind))
    return [
      `${id(o)}: no schema for ${o.apiVersion}/${o.kind}; add it to CORE_KINDS in scripts/k8s/coreSchemas.ts and run npm run k8s:schemas`,
    ];
  return schemas.core.problems(o).map((p) => `${id(o)}: ${p} (Kubernetes schema in k8s/schemas)`);
}

interface ContainerLike {
  name: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  resources?: { requests?: unknown; limits?: unknown };
}
interface DeploymentLike {
  metadata: { name: string };
  spec: { template: { spec: { terminationGracePeriodSeconds?: number; containers: ContainerLike[] } } };
}

/** The stage a container runs, from its entry point (services/<stage>/main.ts). */
function stageOf(c: ContainerLike): ServiceName | undefined {
  const script = c.args?.find((a) => /^services\/\w+\/main\.ts$/.test(a));
  const name = script?.split('/')[1];
  return SERVICE_NAMES.find((s) => s === name);
}

/**
 * Screenshots must go to object storage that every pod reads (s3://), not to the rollout pod's own disk,
 * and the store's keys must come from a Secret (or a web identity), never written in a manifest.
 */
function blobProblems(objects: K8sObject[], rollout: DeploymentLike | undefined): string[] {
  const problems: string[] = [];
  const configMaps = new Map(
    objects
      .filter((o) => o.kind === 'ConfigMap')
      .map((o) => [o.metadata?.name ?? '', (o as unknown as { data?: Record<string, string> }).data ?? {}]),
  );
  for (const [name, data] of configMaps) {
    for (const key of ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN'])
      if (key in data)
        problems.push(`ConfigMap ${name}: ${key} is a credential; put it in the Secret webtrail-secrets`);
  }
  if (!rollout) return problems;
  for (const c of rollout.spec.template.spec.containers as Array<
    ContainerLike & { envFrom?: Array<{ configMapRef?: { name: string } }> }
  >) {
    const fromMaps = Object.assign(
      {},
      ...(c.envFrom ?? []).map((e) => (e.configMapRef ? (configMaps.get(e.configMapRef.name) ?? {}) : {})),
    ) as Record<string, string>;
    const env = {
      ...fromMaps,
      ...Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
    };
    if (!env.WEBTRAIL_BLOB_URL?.startsWith('s3://'))
      problems.push(
        `Deployment ${rollout.metadata.name}: WEBTRAIL_BLOB_URL is ${env.WEBTRAIL_BLOB_URL ?? 'unset'}, so screenshots stay on each pod's disk; set it to s3://bucket/prefix in the ConfigMap`,
      );
    for (const e of c.env ?? [])
      if (/^AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN)$/.test(e.name) && e.value !== undefined)
        problems.push(
          `Deployment ${rollout.metadata.name}: ${e.name} is written in the manifest; take it from the Secret webtrail-secrets`,
        );
  }
  return problems;
}

/**
 * Every pod must pass the `restricted` Pod Security Standard, and the namespace it lands in must be
 * rendered too, labelled to enforce it.
 */
function podSecurityProblems(objects: K8sObject[], deployments: DeploymentLike[]): string[] {
  const problems: string[] = [];
  for (const d of deployments) {
    for (const v of restrictedViolations(d.spec.template.spec as unknown as PodSpec))
      problems.push(`Deployment ${d.metadata.name}: restricted Pod Security: ${v}`);
  }
  // Where the pods run (the Kafka cluster's namespace, which holds the topics, is not ours to label).
  const namespaces = new Set(
    deployments.map((d) => (d.metadata as { namespace?: string }).namespace).filter((n): n is string => Boolean(n)),
  );
  for (const name of namespaces) {
    const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata?.name === name);
    const labels = (ns?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    if (!ns)
      problems.push(
        `namespace ${name} is not rendered: add a Namespace labelled pod-security.kubernetes.io/enforce: restricted`,
      );
    else if (labels['pod-security.kubernetes.io/enforce'] !== 'restricted')
      problems.push(
        `Namespace ${name}: pod-security.kubernetes.io/enforce is ${labels['pod-security.kubernetes.io/enforce'] ?? 'unset'}; restricted`,
      );
  }
  return problems;
}

/** The servers the CLI runs in a Deployment: the command, how messages name it, and its default port. */
const SERVED_COMMANDS = [
  { command: 'dashboard', label: 'the dashboard', port: 8790, required: true },
  { command: 'schema-registry', label: 'the schema registry', port: 8081, required: false },
] as const;

/**
 * A server the CLI runs (the dashboard, the schema registry) must listen on the pod's addresses (its
 * default, 127.0.0.1, is unreachable from a Service), and a Service must send its port to the container's.
 */
function servedCommandProblems(objects: K8sObject[], deployments: DeploymentLike[]): string[] {
  const problems: string[] = [];
  for (const { command, label, port: defaultPort, required } of SERVED_COMMANDS) {
    const runs = (c: ContainerLike) => c.args?.[0] === 'cli/main.ts' && c.args[1] === command;
    const servers = deployments.filter((d) => d.spec.template.spec.containers.some(runs));
    if (servers.length === 0 && required) problems.push(`no Deployment runs ${label} (cli/main.ts ${command})`);
    for (const d of servers) {
      const c = d.spec.template.spec.containers.find(runs)! as ContainerLike & {
        ports?: Array<{ name?: string; containerPort: number }>;
      };
      const option = (name: string) => (c.args?.includes(name) ? c.args[c.args.indexOf(name) + 1] : undefined);
      const host = option('--host');
      if (host === undefined || host === '127.0.0.1' || host === 'localhost')
        problems.push(
          `Deployment ${d.metadata.name}: ${label} listens on ${host ?? '127.0.0.1 (its default)'}, which no Service reaches; give it --host 0.0.0.0`,
        );
      const port = Number(option('--port') ?? defaultPort);
      if (!c.ports?.some((p) => p.containerPort === port))
        problems.push(
          `Deployment ${d.metadata.name}: ${label} listens on port ${port}, but the container declares ${c.ports?.map((p) => p.containerPort).join(', ') || 'no port'}`,
        );
      const labels = (d.spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const services = objects.filter(
        (o) =>
          o.kind === 'Service' &&
          Object.entries((o.spec?.selector as Record<string, string> | undefined) ?? { none: '' }).every(
            ([k, v]) => labels[k] === v,
          ),
      );
      if (services.length === 0) problems.push(`Deployment ${d.metadata.name}: no Service selects ${label}`);
      for (const svc of services) {
        for (const sp of (svc.spec?.ports as Array<{ targetPort?: string | number }> | undefined) ?? []) {
          const target = sp.targetPort;
          const reaches =
            typeof target === 'number'
              ? target === port
              : c.ports?.some((p) => p.name === target && p.containerPort === port);
          if (!reaches)
            problems.push(`${id(svc)}: targetPort ${String(target)} does not reach ${label}'s port ${port}`);
        }
      }
    }
  }
  return problems;
}

/**
 * Every pod needs the schema registry to start: SCHEMA_REGISTRY_URL must name a Service the overlay
 * renders (with the port it names), or a host outside the namespace (a registry the user runs, by FQDN).
 * And a cluster's registry is replicated: webtrail's own (one replica, ids handed out with no leader
 * election) is for dev only: more replicas of it, or it in a production overlay, is a problem.
 */
function registryProblems(objects: K8sObject[], deployments: DeploymentLike[], overlay: string): string[] {
  const problems: string[] = [];
  const url = webtrailConfig(objects)?.SCHEMA_REGISTRY_URL;
  if (!url) return ['ConfigMap webtrail-config: SCHEMA_REGISTRY_URL is unset: no stage could frame a record'];
  let host = '';
  let portNumber = 0;
  try {
    const parsed = new URL(url);
    host = parsed.hostname;
    portNumber = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  } catch {
    return [`ConfigMap webtrail-config: SCHEMA_REGISTRY_URL ${url} is not a URL`];
  }
  // A bare name is a Service in this namespace; a dotted name is the user's (another namespace, outside).
  if (!host.includes('.')) {
    const service = objects.find((o) => o.kind === 'Service' && o.metadata?.name === host);
    const ports = (service?.spec?.ports as Array<{ port: number }> | undefined) ?? [];
    if (!service)
      problems.push(
        `ConfigMap webtrail-config: SCHEMA_REGISTRY_URL names the Service ${host}, which is not rendered here`,
      );
    else if (!ports.some((p) => p.port === portNumber))
      problems.push(
        `ConfigMap webtrail-config: SCHEMA_REGISTRY_URL names port ${portNumber} of Service ${host}, which serves ${ports.map((p) => p.port).join(', ')}`,
      );
  }
  for (const d of deployments) {
    const ours = d.spec.template.spec.containers.some(
      (c) => c.args?.[0] === 'cli/main.ts' && c.args[1] === 'schema-registry',
    );
    if (!ours) continue;
    const replicas = (d.spec as { replicas?: number }).replicas ?? 1;
    if (replicas !== 1)
      problems.push(
        `Deployment ${d.metadata.name}: webtrail's own schema registry runs ${replicas} replicas; it hands out ids with no leader election, so it runs one`,
      );
    if (/prod/.test(overlay))
      problems.push(
        `Deployment ${d.metadata.name}: webtrail's own schema registry is for dev; production runs a replicated one (Apicurio Registry in overlays/prod)`,
      );
  }
  return problems;
}

/** The stages that run Chromium. */
const BROWSER_STAGES: ServiceName[] = ['rollout', 'generator'];
/** The calls Chromium's renderer sandbox is built from: a profile that refuses one cannot sandbox. */
const SANDBOX_CALLS = ['clone', 'clone3', 'unshare', 'chroot'];

/**
 * Chromium runs sandboxed in every pod that runs it: no WEBTRAIL_BROWSER_NO_SANDBOX, and a Localhost
 * seccomp profile, shipped in k8s/seccomp, that allows the namespace calls its sandbox needs
 * (RuntimeDefault refuses them, so Chromium would not start).
 */
function browserSandboxProblems(
  objects: K8sObject[],
  stages: Map<ServiceName, { deployment: DeploymentLike; env: Record<string, string> }>,
  k8sDir: string,
): string[] {
  const problems: string[] = [];
  const config = webtrailConfig(objects) ?? {};
  for (const stage of BROWSER_STAGES) {
    const found = stages.get(stage);
    if (!found) continue;
    const { deployment, env } = found;
    const name = `Deployment ${deployment.metadata.name}`;
    const optOut = env.WEBTRAIL_BROWSER_NO_SANDBOX ?? config.WEBTRAIL_BROWSER_NO_SANDBOX;
    if (optOut !== undefined && ['1', 'true', 'yes'].includes(optOut))
      problems.push(`${name}: WEBTRAIL_BROWSER_NO_SANDBOX=${optOut} runs Chromium without its renderer sandbox`);
    const pod = deployment.spec.template.spec as unknown as PodSpec;
    const profiles = [
      pod.securityContext?.seccompProfile,
      ...pod.containers.map((c) => c.securityContext?.seccompProfile),
    ].filter(Boolean) as Array<{ type?: string; localhostProfile?: string }>;
    const profile = profiles.at(-1);
    if (profile?.type !== 'Localhost' || !profile.localhostProfile) {
      problems.push(
        `${name}: seccomp profile ${profile?.type ?? 'unset'} refuses the namespaces Chromium's sandbox is built from; use type Localhost with localhostProfile webtrail/chromium.json (k8s/seccomp/README.md)`,
      );
      continue;
    }
    const file = path.join(k8sDir, 'seccomp', path.basename(profile.localhostProfile));
    if (!existsSync(file)) {
      problems.push(`${name}: seccomp profile ${profile.localhostProfile} is not in k8s/seccomp/`);
      continue;
    }
    const refused = (
      JSON.parse(readFileSync(file, 'utf8')) as { syscalls?: Array<{ names?: string[]; action?: string }> }
    ).syscalls
      ?.filter((rule) => rule.action !== 'SCMP_ACT_ALLOW')
      .flatMap((rule) => rule.names ?? [])
      .filter((call) => SANDBOX_CALLS.includes(call));
    if (refused?.length)
      problems.push(
        `${name}: seccomp profile ${profile.localhostProfile} refuses ${refused.join(', ')}, which Chromium's sandbox needs`,
      );
  }
  return problems;
}

function codeProblems(objects: K8sObject[], settings: OverlaySettings, k8sDir: string, overlay: string): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as DeploymentLike[];
  const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
  const stages = new Map<ServiceName, { deployment: DeploymentLike; env: Record<string, string> }>();

  for (const d of deployments) {
    for (const c of d.spec.template.spec.containers) {
      if (!c.readinessProbe || !c.livenessProbe)
        problems.push(`Deployment ${d.metadata.name}: container ${c.name} needs a readiness and a liveness probe`);
      if (!c.resources?.requests || !c.resources?.limits)
        problems.push(`Deployment ${d.metadata.name}: container ${c.name} needs resource requests and limits`);
      const stage = stageOf(c);
      if (!stage) continue;
      const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
      stages.set(stage, { deployment: d, env });
      const drainS = loadRuntimeConfig(stage, env).drainTimeoutMs / 1000;
      const grace = d.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      if (grace < drainS)
        problems.push(
          `Deployment ${d.metadata.name}: terminationGracePeriodSeconds ${grace} is shorter than the ${stage}'s drain timeout (${drainS} s): pods would be killed mid-work`,
        );
    }
  }
  for (const stage of SERVICE_NAMES)
    if (!stages.has(stage)) problems.push(`no Deployment runs the ${stage} (services/${stage}/main.ts)`);
  problems.push(...servedCommandProblems(objects, deployments));
  problems.push(...registryProblems(objects, deployments, overlay));
  problems.push(...podSecurityProblems(objects, deployments));
  problems.push(...blobProblems(objects, stages.get('rollout')?.deployment));
  problems.push(...browserSandboxProblems(objects, stages, k8sDir));

  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const labels = (pdb.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
    const matches = deployments.some((d) =>
      Object.entries(labels).every(
        ([k, v]) =>
          (d.spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels[k] === v,
      ),
    );
    if (!matches) problems.push(`${id(pdb)}: its selector matches no Deployment`);
  }

  for (const so of objects.filter((o) => o.kind === 'ScaledObject')) {
    const target = (so.spec?.scaleTargetRef as { name?: string } | undefined)?.name ?? '';
    const deployment = byName.get(target);
    if (!deployment) {
      problems.push(`${id(so)}: scaleTargetRef ${target} is not a Deployment here`);
      continue;
    }
    const stage = [...stages].find(([, s]) => s.deployment === deployment)?.[0];
    if (!stage) continue;
    const groupId = loadRuntimeConfig(stage, {
      WEBTRAIL_TOPIC_PREFIX: settings.prefix,
      ...stages.get(stage)!.env,
    }).groupId;
    const input = `${settings.prefix}${STAGE_INPUTS[stage].slice(TOPIC_PREFIX.length)}`;
    for (const trigger of (so.spec?.triggers as
      Array<{ type: string; metadata: Record<string, string> }> | undefined) ?? []) {
      if (trigger.type !== 'kafka') continue;
      if (trigger.metadata.topic !== input)
        problems.push(`${id(so)}: watches topic ${trigger.metadata.topic}, but the ${stage} reads ${input}`);
      if (trigger.metadata.consumerGroup !== groupId)
        problems.push(
          `${id(so)}: watches consumer group ${trigger.metadata.consumerGroup}, but the ${stage} consumes as ${groupId}`,
        );
    }
  }

  const declared = new Map(
    topicsWithPrefix(settings.prefix).map((t) => [t.name, kafkaTopicResource(t, settings.cluster.cluster)]),
  );
  const rendered = new Map(
    objects
      .filter((o) => o.kind === 'KafkaTopic')
      .map((o) => [String((o.spec as { topicName?: string })?.topicName ?? o.metadata?.name), o]),
  );
  for (const [name, want] of declared) {
    const got = rendered.get(name);
    if (!got) {
      problems.push(
        `KafkaTopic ${name} is declared in schemas/topics.ts but missing from the manifests (npm run k8s:topics)`,
      );
      continue;
    }
    // Strimzi's topic operator watches the cluster's namespace only, and acts on its own cluster's topics.
    const where = (got.metadata as { namespace?: string } | undefined)?.namespace;
    if (where !== settings.cluster.namespace)
      problems.push(
        `KafkaTopic ${name} is in namespace ${where ?? '(none)'}, but the Kafka cluster (KAFKA_BROKERS) is in ${settings.cluster.namespace}, where the topic operator watches`,
      );
    const label = (got.metadata as { labels?: Record<string, string> } | undefined)?.labels?.['strimzi.io/cluster'];
    if (label !== settings.cluster.cluster)
      problems.push(
        `KafkaTopic ${name}: strimzi.io/cluster is ${label ?? 'unset'}, but KAFKA_BROKERS names the cluster ${settings.cluster.cluster}`,
      );
    const spec = got.spec as { partitions?: number; config?: Record<string, unknown> };
    if (spec.partitions !== want.spec.partitions)
      problems.push(
        `KafkaTopic ${name}: ${spec.partitions} partitions, but schemas/topics.ts declares ${want.spec.partitions} (npm run k8s:topics)`,
      );
    const config = Object.fromEntries(Object.entries(spec.config ?? {}).map(([k, v]) => [k, String(v)]));
    for (const [key, value] of Object.entries(want.spec.config)) {
      if (config[key] !== value)
        problems.push(
          `KafkaTopic ${name}: ${key} is ${config[key] ?? '(unset)'}, but schemas/topics.ts declares ${value} (npm run k8s:topics)`,
        );
    }
  }
  for (const name of rendered.keys())
    if (!declared.has(name))
      problems.push(
        `KafkaTopic ${name} is not declared in schemas/topics.ts${settings.prefix ? ` (this overlay's topic prefix is '${settings.prefix}')` : ''}`,
      );
  return problems;
}

export function validateK8s(k8sDir: string, kubectl = findKubectl()): OverlayReport[] {
  const overlaysDir = path.join(k8sDir, 'overlays');
  if (!existsSync(overlaysDir)) throw new Error(`${overlaysDir} does not exist`);
  const overlays = readdirSync(overlaysDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const schemas = {
    core: new CoreValidator(path.join(k8sDir, 'schemas', 'core-strict.json')),
    crds: new CrdValidator(path.join(k8sDir, 'crds')),
  };
  const reports = overlays.map((overlay) => {
    const { objects, error } = render(kubectl, path.join(overlaysDir, overlay));
    if (error) return { overlay, objects, problems: [error] };
    const settings = settingsOf(objects);
    if (typeof settings === 'string') return { overlay, objects, problems: [settings] };
    return {
      overlay,
      objects,
      problems: [
        ...objects.flatMap((o) => schemaProblems(o, schemas)),
        ...codeProblems(objects, settings, k8sDir, overlay),
      ],
    };
  });
  // Overlays on one Kafka cluster must not share a topic (or, with it, a consumer group's offsets).
  const brokers = reports.map((r) => webtrailConfig(r.objects)?.KAFKA_BROKERS);
  const topics = reports.map(
    (r) =>
      new Set(
        r.objects
          .filter((o) => o.kind === 'KafkaTopic')
          .map((o) => String((o.spec as { topicName?: string }).topicName)),
      ),
  );
  reports.forEach((a, i) =>
    reports.forEach((b, j) => {
      if (j <= i || brokers[i] !== brokers[j]) return;
      const shared = [...topics[i]!].filter((t) => topics[j]!.has(t));
      if (shared.length)
        for (const r of [a, b])
          r.problems.push(
            `overlays ${a.overlay} and ${b.overlay} use the same Kafka cluster and the same ${shared.length} topic name(s) (${shared.slice(0, 3).join(', ')}…): give one a WEBTRAIL_TOPIC_PREFIX`,
          );
    }),
  );
  return reports;
}

export interface OverlaySettings {
  /** WEBTRAIL_TOPIC_PREFIX of the overlay's ConfigMap ('' when unset). */
  prefix: string;
  /** The Strimzi cluster KAFKA_BROKERS points at. */
  cluster: { cluster: string; namespace: string };
}

/** The data of the rendered ConfigMap webtrail-config, when there is one. */
function webtrailConfig(objects: K8sObject[]): Record<string, string> | undefined {
  return (
    objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'webtrail-config') as
      { data?: Record<string, string> } | undefined
  )?.data;
}

function settingsOf(objects: K8sObject[]): OverlaySettings | string {
  const config = webtrailConfig(objects);
  if (!config) return 'no ConfigMap webtrail-config is rendered';
  const cluster = strimziCluster(config.KAFKA_BROKERS);
  if (!cluster)
    return `ConfigMap webtrail-config: KAFKA_BROKERS ${config.KAFKA_BROKERS ?? '(unset)'} is not a Strimzi bootstrap address (<cluster>-kafka-bootstrap.<namespace>.svc:9092)`;
  return { prefix: config.WEBTRAIL_TOPIC_PREFIX ?? '', cluster };
}

/** An overlay's topic prefix and Kafka cluster, from its app part alone (its topics are generated from them). */
export function overlaySettings(overlayDir: string, kubectl = findKubectl()): OverlaySettings {
  const { objects, error } = render(kubectl, path.join(overlayDir, 'app'));
  if (error) throw new Error(error);
  const settings = settingsOf(objects);
  if (typeof settings === 'string') throw new Error(settings);
  return settings;
}
