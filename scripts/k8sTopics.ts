// npm run k8s:topics: writes each overlay's topics (k8s/overlays/<env>/topics/topics.yaml) from the topic
// declaration, under the topic prefix and for the Kafka cluster its ConfigMap names.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { overlaySettings } from './k8s/validate.ts';
import { topicsYaml } from './k8s/topics.ts';

const overlays = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../k8s/overlays');
for (const overlay of readdirSync(overlays, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()) {
  const { prefix, cluster } = overlaySettings(path.join(overlays, overlay));
  const file = path.join(overlays, overlay, 'topics', 'topics.yaml');
  writeFileSync(file, topicsYaml(prefix, cluster.cluster));
  console.log(
    `wrote ${path.relative(process.cwd(), file)} (prefix '${prefix}', cluster ${cluster.cluster} in namespace ${cluster.namespace})`,
  );
}
