// The Dockerfile as hadolint (its real binary, pinned in scripts/requirements-tools.txt) judges it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptPins, lintDockerfile } from '../scripts/docker/lint.ts';

const dockerfile = readFileSync(path.resolve(import.meta.dirname, '../Dockerfile'), 'utf8');

describe('the Dockerfile', () => {
  it('passes hadolint', () => {
    expect(lintDockerfile(path.resolve(import.meta.dirname, '../Dockerfile'))).toEqual([]);
  });

  it('would fail hadolint with an unpinned apt package, a user by name or root (the check is live)', () => {
    const codes = (text: string) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'dockerfile-')), 'Dockerfile');
      writeFileSync(file, text);
      return lintDockerfile(file)
        .map((f) => f.code)
        .sort();
    };
    expect(codes(dockerfile.replace(/fonts-dejavu-core=\S+/, 'fonts-dejavu-core'))).toEqual(['DL3008']);
    expect(codes(dockerfile.replace('USER 1000:1000', 'USER node'))).toEqual(['DL3066']);
    expect(codes(dockerfile.replace('USER 1000:1000', 'USER root'))).toEqual(['DL3002', 'DL3066']);
  });

  it('pins every apt package, ARG defaults read', () => {
    expect(aptPins(dockerfile).map((p) => p.name)).toEqual([
      'chromium',
      'fonts-dejavu-core',
      'fonts-liberation',
      'ca-certificates',
    ]);
    for (const pin of aptPins(dockerfile)) expect(pin.version).toMatch(/^[\w.:~+-]+$/);
  });
});
