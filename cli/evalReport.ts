// Where an eval command's JSON report goes: --out, or $WEBTRAIL_HOME/eval/<name>-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { webtrailHome } from '../platform/index.ts';

export function writeEvalReport(name: string, report: object, out?: string): string {
  const file =
    out ?? path.join(webtrailHome(), 'eval', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ command: `eval ${name}`, ...report }, null, 2)}\n`);
  return file;
}
