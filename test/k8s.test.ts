// The Kubernetes manifests: every overlay renders and validates offline, and the validation fails on a
// broken manifest and on topics that drifted from schemas/topics.ts.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allTopics } from '../schemas/topics.ts';
import { topicsWithPrefix, topicsYaml } from '../scripts/k8s/topics.ts';
import { validateK8s } from '../scripts/k8s/validate.ts';
import { ROOT } from './helpers/processes.ts';
import { spawnSync } from 'node:child_process';

function copyOfK8s(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-k8s-')), 'k8s');
  cpSync(path.join(ROOT, 'k8s'), dir, { recursive: true });
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(from, to);
  expect(changed, `${file} has no ${from}`).not.toBe(text);
  writeFileSync(file, changed);
}

describe('k8s manifests', () => {
  it('render and validate for every overlay, with a Deployment, scaling and topics for each stage', () => {
    const reports = validateK8s(path.join(ROOT, 'k8s'));
    expect(reports.map((r) => r.overlay)).toEqual(['dev', 'prod']);
    for (const r of reports) {
      expect(r.problems, r.overlay).toEqual([]);
      const names = (kind: string) =>
        r.objects
          .filter((o) => o.kind === kind)
          .map((o) => o.metadata?.name)
          .sort();
      expect(names('Deployment')).toEqual(
        [
          'otel-collector',
          'webtrail-dashboard',
          'webtrail-generator',
          'webtrail-judge',
          'webtrail-refiner',
          'webtrail-rollout',
          r.overlay === 'dev' ? 'webtrail-schema-registry' : 'apicurio-registry',
          'webtrail-sink',
        ].sort(),
      );
      expect(names('Service')).toContain('webtrail-dashboard');
      expect(names('Namespace')).toEqual([r.overlay === 'dev' ? 'webtrail-dev' : 'webtrail']);
      expect(names('ScaledObject')).toEqual(['webtrail-generator', 'webtrail-judge', 'webtrail-rollout']);
      // Each overlay's topics under its own prefix, in the Kafka cluster's namespace.
      const prefix = r.overlay === 'dev' ? 'dev.' : '';
      expect(names('KafkaTopic')).toEqual(
        allTopics()
          .map((t) => `${prefix}${t.name}`)
          .sort(),
      );
      expect(
        new Set(
          r.objects.filter((o) => o.kind === 'KafkaTopic').map((o) => (o.metadata as { namespace?: string }).namespace),
        ),
      ).toEqual(new Set(['kafka']));
      expect(
        new Set(
          r.objects.filter((o) => o.kind === 'Deployment').map((o) => (o.metadata as { namespace?: string }).namespace),
        ),
      ).toEqual(new Set([r.overlay === 'dev' ? 'webtrail-dev' : 'webtrail']));
      // The image from a registry, not a bare local name.
      const images = r.objects
        .filter(
          (o) =>
            o.kind === 'Deployment' &&
            o.metadata?.name !== 'otel-collector' &&
            o.metadata?.name !== 'apicurio-registry',
        )
        .map(
          (o) =>
            (o.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!
              .image,
        );
      expect(new Set(images)).toEqual(new Set(['registry.invalid/webtrail:0.1.0']));
    }
    const max = (overlay: string) =>
      (
        reports
          .find((r) => r.overlay === overlay)!
          .objects.find((o) => o.kind === 'ScaledObject' && o.metadata?.name === 'webtrail-rollout')!.spec as {
          maxReplicaCount: number;
        }
      ).maxReplicaCount;
    expect(max('dev')).toBe(1);
    expect(max('prod')).toBeGreaterThan(max('dev'));
  });

  it("runs a real, replicated schema registry in production and webtrail's own only in dev", () => {
    const reports = validateK8s(path.join(ROOT, 'k8s'));
    const overlay = (name: string) => reports.find((r) => r.overlay === name)!.objects;
    const config = (objects: ReturnType<typeof overlay>) =>
      (
        objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'webtrail-config') as unknown as {
          data: Record<string, string>;
        }
      ).data;
    type Pod = { replicas?: number; template: { spec: { containers: Array<{ image: string; args?: string[] }> } } };
    const deployment = (objects: ReturnType<typeof overlay>, name: string) =>
      objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === name)?.spec as Pod | undefined;
    const runsOurs = (objects: ReturnType<typeof overlay>) =>
      objects.some(
        (o) =>
          o.kind === 'Deployment' &&
          (o.spec as Pod).template.spec.containers.some(
            (c) => c.args?.slice(0, 2).join(' ') === 'cli/main.ts schema-registry',
          ),
      );
    const prod = overlay('prod');
    expect(runsOurs(prod)).toBe(false);
    const apicurio = deployment(prod, 'apicurio-registry')!;
    expect(apicurio.replicas).toBeGreaterThanOrEqual(2);
    // Pinned: a release tag, never latest.
    expect(apicurio.template.spec.containers[0]!.image).toMatch(
      /^quay\.io\/apicurio\/apicurio-registry:\d+\.\d+\.\d+$/,
    );
    expect(config(prod).SCHEMA_REGISTRY_URL).toBe('http://apicurio-registry:8080/apis/ccompat/v7');
    expect(
      prod
        .filter((o) => o.metadata?.name === 'apicurio-registry')
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    const dev = overlay('dev');
    expect(runsOurs(dev)).toBe(true);
    expect(deployment(dev, 'webtrail-schema-registry')!.replicas).toBe(1);
    expect(config(dev).SCHEMA_REGISTRY_URL).toBe('http://webtrail-schema-registry:8081');
  });

  it('fails when SCHEMA_REGISTRY_URL names a registry the overlay does not run, or ours runs in prod or replicated', () => {
    const dir = copyOfK8s();
    edit(
      path.join(dir, 'overlays/prod/app/config.yaml'),
      'SCHEMA_REGISTRY_URL: http://apicurio-registry:8080/apis/ccompat/v7',
      'SCHEMA_REGISTRY_URL: http://apicurio-registry:8081/apis/ccompat/v7',
    );
    copyFileSync(
      path.join(dir, 'overlays/dev/app/schema-registry.yaml'),
      path.join(dir, 'overlays/prod/app/schema-registry.yaml'),
    );
    edit(
      path.join(dir, 'overlays/prod/app/kustomization.yaml'),
      '  - apicurio-registry.yaml',
      '  - schema-registry.yaml',
    );
    edit(path.join(dir, 'overlays/dev/app/schema-registry.yaml'), 'replicas: 1', 'replicas: 2');
    const problems = (overlay: string) => validateK8s(dir).find((r) => r.overlay === overlay)!.problems;
    expect(problems('prod')).toEqual(
      expect.arrayContaining([
        'ConfigMap webtrail-config: SCHEMA_REGISTRY_URL names the Service apicurio-registry, which is not rendered here',
        expect.stringMatching(/^Deployment webtrail-schema-registry: webtrail's own schema registry is for dev/),
      ]),
    );
    expect(problems('dev')).toEqual([
      "Deployment webtrail-schema-registry: webtrail's own schema registry runs 2 replicas; it hands out ids with no leader election, so it runs one",
    ]);
  });

  it("keeps each overlay's topics generated from the topic declaration, under its prefix", () => {
    expect(readFileSync(path.join(ROOT, 'k8s/overlays/dev/topics/topics.yaml'), 'utf8')).toBe(
      topicsYaml('dev.', 'webtrail'),
    );
    expect(readFileSync(path.join(ROOT, 'k8s/overlays/prod/topics/topics.yaml'), 'utf8')).toBe(
      topicsYaml('', 'webtrail'),
    );
    expect(topicsWithPrefix('dev.').map((t) => t.name)).toContain('dev.webtrail.tasks');
  });

  it('fails when two overlays on one Kafka cluster share topics, or topics sit where the topic operator does not watch', () => {
    const dir = copyOfK8s();
    // dev without its prefix: its topics generated as prod's are.
    edit(path.join(dir, 'overlays/dev/app/config.yaml'), 'WEBTRAIL_TOPIC_PREFIX: "dev."', 'WEBTRAIL_TOPIC_PREFIX: ""');
    writeFileSync(
      path.join(dir, 'overlays/dev/topics/topics.yaml'),
      readFileSync(path.join(dir, 'overlays/prod/topics/topics.yaml')),
    );
    edit(path.join(dir, 'overlays/prod/topics/kustomization.yaml'), 'namespace: kafka', 'namespace: webtrail');
    const reports = validateK8s(dir);
    const all = reports.flatMap((r) => r.problems);
    expect(all).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^overlays dev and prod use the same Kafka cluster and the same \d+ topic name\(s\)/),
        expect.stringMatching(
          /^KafkaTopic webtrail\.tasks is in namespace webtrail, but the Kafka cluster \(KAFKA_BROKERS\) is in kafka/,
        ),
        // dev's topics and KEDA triggers still carry the prefix its ConfigMap no longer sets.
        expect.stringMatching(
          /^ScaledObject webtrail-rollout: watches topic dev\.webtrail\.tasks, but the rollout reads webtrail\.tasks/,
        ),
      ]),
    );
  });

  it('fails on a manifest that breaks the Kubernetes schema, naming the object and field', () => {
    const dir = copyOfK8s();
    edit(path.join(dir, 'base/rollout.yaml'), 'containerPort: 8082', 'containerPort: eight-thousand');
    const problems = validateK8s(dir).flatMap((r) => r.problems);
    expect(problems.some((p) => p.includes('Deployment webtrail-rollout') && p.includes('containerPort'))).toBe(true);
  });

  it("validates the core kinds strictly against Kubernetes' published schemas: fields the API server would drop silently", () => {
    const dir = copyOfK8s();
    // A misspelt readOnlyRootFilesystem would leave the root filesystem writable without a word from kubectl apply.
    edit(path.join(dir, 'base/sink.yaml'), 'readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true');
    edit(path.join(dir, 'base/judge.yaml'), 'maxUnavailable: 1', 'maxUnavailable: 1\n  maxUnavailble: 1');
    edit(path.join(dir, 'base/config.yaml'), /^metadata:\n/m, 'metadata:\n  lables: { app: webtrail }\n');
    edit(path.join(dir, 'overlays/prod/topics/topics.yaml'), /(name: webtrail\.sites\n) {2}labels:/, '$1  label:');
    const reports = validateK8s(dir);
    const prod = reports.find((r) => r.overlay === 'prod')!.problems;
    expect(prod).toEqual(
      expect.arrayContaining([
        'Deployment webtrail-sink: /spec/template/spec/containers/0/securityContext: unknown field readOnlyRootFileSystem (Kubernetes schema in k8s/schemas)',
        'PodDisruptionBudget webtrail-judge: /spec: unknown field maxUnavailble (Kubernetes schema in k8s/schemas)',
        expect.stringMatching(
          /^ConfigMap webtrail-config[\w-]*: \/metadata: unknown field lables \(Kubernetes schema in k8s\/schemas\)$/,
        ),
        'KafkaTopic webtrail.sites: /metadata: unknown field label (CRD schema in k8s/crds)',
        // What the misspelt labels cost: the topic operator would not know which cluster the topic is for.
        'KafkaTopic webtrail.sites: strimzi.io/cluster is unset, but KAFKA_BROKERS names the cluster webtrail',
      ]),
    );
    expect(prod).toHaveLength(5);
  });

  it('validates the custom resources strictly against their published CRDs: a misspelt field, a wrong type', () => {
    const dir = copyOfK8s();
    edit(path.join(dir, 'overlays/prod/app/scaling.yaml'), 'maxReplicaCount: 24', 'maxReplicaCountt: 24');
    edit(path.join(dir, 'overlays/prod/topics/topics.yaml'), 'partitions: 12', 'partitions: twelve');
    const reports = validateK8s(dir);
    const prod = reports.find((r) => r.overlay === 'prod')!.problems;
    expect(prod).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ScaledObject webtrail-rollout: \/spec: unknown field maxReplicaCountt \(CRD schema in k8s\/crds\)$/,
        ),
        expect.stringMatching(/^KafkaTopic [\w.-]+: \/spec\/partitions: must be integer/),
      ]),
    );
    // The dev overlay keeps its own (correct) ScaledObject.
    expect(reports.find((r) => r.overlay === 'dev')!.problems.some((p) => p.includes('maxReplicaCountt'))).toBe(false);
  });

  it('fails when a pod would not be admitted under the restricted Pod Security level, or the namespace does not enforce it', () => {
    const dir = copyOfK8s();
    edit(path.join(dir, 'base/judge.yaml'), ', seccompProfile: { type: RuntimeDefault } }', ' }');
    edit(path.join(dir, 'base/sink.yaml'), 'allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true');
    edit(
      path.join(dir, 'overlays/prod/app/namespace.yaml'),
      'pod-security.kubernetes.io/enforce: restricted',
      'pod-security.kubernetes.io/enforce: baseline',
    );
    const reports = validateK8s(dir);
    const problems = reports.flatMap((r) => r.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /Deployment webtrail-judge: restricted Pod Security: container judge: no seccomp profile/,
        ),
        expect.stringMatching(
          /Deployment webtrail-sink: restricted Pod Security: container sink: allowPrivilegeEscalation must be false/,
        ),
        expect.stringMatching(/Namespace webtrail: pod-security.kubernetes.io\/enforce is baseline; restricted/),
      ]),
    );
    // The dev overlay's namespace still enforces it.
    expect(reports.find((r) => r.overlay === 'dev')!.problems.some((p) => p.startsWith('Namespace'))).toBe(false);
  });

  it('fails when the dashboard listens where its Service cannot reach it', () => {
    const dir = copyOfK8s();
    edit(
      path.join(dir, 'base/dashboard.yaml'),
      'args: [cli/main.ts, dashboard, --host, 0.0.0.0, --port, "8790"]',
      'args: [cli/main.ts, dashboard, --port, "8791"]',
    );
    const problems = validateK8s(dir).flatMap((r) => r.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /webtrail-dashboard: the dashboard listens on 127\.0\.0\.1 \(its default\), which no Service reaches/,
        ),
        expect.stringMatching(
          /webtrail-dashboard: the dashboard listens on port 8791, but the container declares 8790/,
        ),
        expect.stringMatching(/Service webtrail-dashboard: targetPort http does not reach the dashboard's port 8791/),
      ]),
    );
  });

  it('fails when the schema registry listens where its Service cannot reach it', () => {
    const dir = copyOfK8s();
    edit(
      path.join(dir, 'overlays/dev/app/schema-registry.yaml'),
      'args: [cli/main.ts, schema-registry, --host, 0.0.0.0, --port, "8081"]',
      'args: [cli/main.ts, schema-registry, --port, "8082"]',
    );
    const problems = validateK8s(dir).flatMap((r) => r.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /webtrail-schema-registry: the schema registry listens on 127\.0\.0\.1 \(its default\), which no Service reaches/,
        ),
        expect.stringMatching(
          /webtrail-schema-registry: the schema registry listens on port 8082, but the container declares 8081/,
        ),
        expect.stringMatching(
          /Service webtrail-schema-registry: targetPort http does not reach the schema registry's port 8082/,
        ),
      ]),
    );
  });

  it('fails when a stage is not given the time its drain takes, or KEDA watches the wrong group', () => {
    const dir = copyOfK8s();
    edit(
      path.join(dir, 'base/rollout.yaml'),
      'terminationGracePeriodSeconds: 930',
      'terminationGracePeriodSeconds: 30',
    );
    edit(path.join(dir, 'base/judge.yaml'), 'consumerGroup: webtrail-judge', 'consumerGroup: webtrail-judges');
    const problems = validateK8s(dir).flatMap((r) => r.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /webtrail-rollout: terminationGracePeriodSeconds 30 is shorter than the rollout's drain timeout/,
        ),
        expect.stringMatching(/ScaledObject webtrail-judge: watches consumer group webtrail-judges/),
      ]),
    );
  });

  it("fails when screenshots would stay on the rollout pods' disks, or the store's keys are written in a manifest", () => {
    const dir = copyOfK8s();
    edit(
      path.join(dir, 'base/config.yaml'),
      'WEBTRAIL_BLOB_URL: s3://webtrail-blobs/webtrail',
      'WEBTRAIL_BLOB_URL: file:///var/lib/webtrail/blobs\n  AWS_SECRET_ACCESS_KEY: hunter2',
    );
    const problems = validateK8s(dir).flatMap((r) => r.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /webtrail-rollout: WEBTRAIL_BLOB_URL is file:\/\/\/var\/lib\/webtrail\/blobs, so screenshots stay on each pod's disk/,
        ),
        expect.stringMatching(/ConfigMap webtrail-config: AWS_SECRET_ACCESS_KEY is a credential/),
      ]),
    );
  });

  it('fails when a browser pod would run Chromium without its sandbox, or with a profile that cannot sandbox', () => {
    const dir = copyOfK8s();
    edit(path.join(dir, 'base/config.yaml'), /^data:\n/m, 'data:\n  WEBTRAIL_BROWSER_NO_SANDBOX: "1"\n');
    edit(
      path.join(dir, 'base/generator.yaml'),
      'seccompProfile: { type: Localhost, localhostProfile: webtrail/chromium.json }',
      'seccompProfile: { type: RuntimeDefault }',
    );
    edit(path.join(dir, 'seccomp/chromium.json'), '"acct",', '"acct", "unshare",');
    const problems = validateK8s(dir).flatMap((r) => r.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /webtrail-rollout: WEBTRAIL_BROWSER_NO_SANDBOX=1 runs Chromium without its renderer sandbox/,
        ),
        expect.stringMatching(/webtrail-generator: seccomp profile RuntimeDefault refuses the namespaces/),
        expect.stringMatching(/webtrail-rollout: seccomp profile webtrail\/chromium.json refuses unshare/),
      ]),
    );
  });

  it('fails on topics that drifted from schemas/topics.ts, through npm run k8s:validate', async () => {
    const dir = copyOfK8s();
    edit(
      path.join(dir, 'overlays/prod/topics/topics.yaml'),
      /(topicName: webtrail\.tasks\n\s+partitions:) 24/,
      '$1 25',
    );
    edit(
      path.join(dir, 'overlays/prod/topics/topics.yaml'),
      /apiVersion: kafka\.strimzi\.io\/v1\nkind: KafkaTopic\nmetadata:\n\s+name: webtrail\.verdicts[\s\S]*?---\n/,
      '',
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/k8sValidate.ts'), dir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('KafkaTopic webtrail.tasks: 25 partitions, but schemas/topics.ts declares 24');
    expect(result.stdout).toContain('KafkaTopic webtrail.verdicts is declared in schemas/topics.ts but missing');
  });
});
