// npm run k8s:topics: writes k8s/base/topics.yaml from the topic declaration.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicsYaml } from './k8s/topics.ts';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../k8s/base/topics.yaml');
writeFileSync(file, topicsYaml());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
