// npm run k8s:schemas -- DIR [SOURCE]: rebuilds k8s/schemas/core-strict.json from a kubernetes-json-schema
// "vX.Y.Z-local-strict" folder (as shipped in the kubernetes-validate wheel), keeping only the kinds webtrail
// renders and what they reach. SOURCE is recorded in the bundle (where the folder came from).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCoreSchemas } from './k8s/coreSchemas.ts';

const [dir, source] = process.argv.slice(2);
if (!dir) {
  console.error('usage: npm run k8s:schemas -- DIR [SOURCE]   (DIR: kubernetes-json-schema/vX.Y.Z-local-strict)');
  process.exit(2);
}
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../k8s/schemas/core-strict.json');
try {
  const bundle = bundleCoreSchemas(dir, source ?? path.basename(dir));
  writeFileSync(out, `${JSON.stringify(bundle, null, 1)}\n`);
  console.log(
    `${out}: ${Object.keys(bundle.kinds).length} kinds, ${Object.keys(bundle.$defs).length} definitions (${bundle.source})`,
  );
} catch (error) {
  console.error(`k8s:schemas: ${(error as Error).message}`);
  process.exit(2);
}
