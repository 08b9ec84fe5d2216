// Each schemas/<Name>.avsc in the standard Avro tools of a user's notebook, loaded alone: Apache Avro's own
// Python library and fastavro (no lookup of other files, no registry).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../platform/spawnTs.ts';
import { SCHEMA_DIR, SCHEMA_NAMES } from '../schemas/schemaFiles.ts';

const CHECK = `
import json, sys
import avro.schema
import fastavro
out = {}
for f in sys.argv[1:]:
    text = open(f).read()
    avro_name = avro.schema.parse(text).fullname
    fast = fastavro.parse_schema(json.loads(text), _write_hint=False)
    out[f] = [avro_name, fast["name"]]
print(json.dumps(out))
`;

describe('the schema files', () => {
  it('each load alone in Apache Avro (Python) and fastavro', async () => {
    const python = path.join(ROOT, '.venv/bin/python');
    expect(existsSync(python), 'scripts/setup.sh makes .venv with avro and fastavro').toBe(true);
    const files = SCHEMA_NAMES.map((n) => path.join(SCHEMA_DIR, `${n}.avsc`));
    // Each file in a process of its own: nothing one defines can help another.
    const results = await Promise.all(
      files.map(async (file) => {
        const { stdout } = await promisify(execFile)(python, ['-c', CHECK, file], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        return JSON.parse(stdout) as Record<string, [string, string]>;
      }),
    );
    expect(results.map((r, i) => r[files[i]!])).toEqual(
      SCHEMA_NAMES.map((n) => [`dev.webtrail.${n}`, `dev.webtrail.${n}`]),
    );
  });
});
