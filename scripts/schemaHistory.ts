// Records the current schemas in schemas/history so that readers keep decoding records written
// with them after the schemas evolve. Run after changing a schema: `npm run schemas:snapshot`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeType, HISTORY_DIR, loadSchemaTypes } from '../schemas/index.ts';

mkdirSync(HISTORY_DIR, { recursive: true });
let added = 0;
for (const [name, type] of loadSchemaTypes()) {
  const { schema, fingerprint } = describeType(type);
  const file = path.join(HISTORY_DIR, `${name}.${fingerprint}.avsc`);
  if (existsSync(file)) continue;
  writeFileSync(file, `${JSON.stringify(JSON.parse(schema), null, 1)}\n`);
  added += 1;
  console.log(`recorded ${path.relative(process.cwd(), file)}`);
}
console.log(added ? `${added} schema version(s) recorded` : 'history is up to date');
