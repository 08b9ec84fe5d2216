// npm run lint:docker: hadolint on the Dockerfile, then which apt pins this machine's Debian has moved past
// (advice only: Debian replaces a Chromium security release with the next and drops the old one).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptPins, lintDockerfile } from './docker/lint.ts';

const dockerfile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../Dockerfile');
try {
  const findings = lintDockerfile(dockerfile);
  for (const f of findings) console.log(`Dockerfile:${f.line} ${f.code} ${f.level}: ${f.message}`);
  console.log(findings.length ? `hadolint: ${findings.length} finding(s)` : 'hadolint: no findings');
  const pins = aptPins(readFileSync(dockerfile, 'utf8'));
  const policy = spawnSync('apt-cache', ['policy', ...pins.map((p) => p.name)], { encoding: 'utf8' });
  if (policy.status === 0) {
    for (const pin of pins) {
      const candidate = new RegExp(
        `^${pin.name.replace(/[.+]/g, '\\$&')}:\\n(?:.*\\n)*?\\s+Candidate: (\\S+)`,
        'm',
      ).exec(policy.stdout)?.[1];
      console.log(
        `  ${pin.name}=${pin.version}: ${candidate === undefined ? "not known to this machine's apt" : candidate === pin.version ? 'current here' : `this machine's apt now has ${candidate}`}`,
      );
    }
  }
  process.exit(findings.length ? 1 : 0);
} catch (error) {
  console.error(`lint:docker: ${(error as Error).message}`);
  process.exit(2);
}
