import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../platform/blobStore.ts';
import { placeholderSvg, ScreenshotCache } from './screenshots.ts';

/** A screenshot stored the way the rollout stores one: under its own hash, in a folder store. */
function stored(root: string, bytes: Buffer, nameBytes = bytes): string {
  const hash = sha256(nameBytes);
  const file = path.join(root, 'screenshots', hash.slice(0, 2), `${hash}.jpg`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return pathToFileURL(file).href;
}

describe('screenshots for the dashboard', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'webtrail-shots-'));

  it('serves the bytes a screenshot name promises, and keeps them for the image request', async () => {
    let reads = 0;
    const cache = new ScreenshotCache(1 << 20, async (uri) => {
      reads += 1;
      const { readBlob } = await import('../platform/blobStore.ts');
      return readBlob(uri);
    });
    const uri = stored(root, Buffer.from('jpeg bytes'));
    expect(await cache.load(uri)).toEqual({ bytes: Buffer.from('jpeg bytes') });
    expect(await cache.load(uri)).toEqual({ bytes: Buffer.from('jpeg bytes') });
    expect(reads).toBe(1);
  });

  it('refuses bytes that do not match their name, any other file, and says why a blob is missing', async () => {
    const cache = new ScreenshotCache();
    const tampered = stored(root, Buffer.from('other bytes'), Buffer.from('the original'));
    expect(await cache.load(tampered)).toEqual({ problem: expect.stringContaining('do not match its name') });
    expect(await cache.load(pathToFileURL('/etc/passwd').href)).toEqual({
      problem: expect.stringContaining("not a screenshot's name"),
    });
    const gone = pathToFileURL(path.join(root, 'screenshots', 'ab', `ab${'0'.repeat(62)}.jpg`)).href;
    expect(await cache.load(gone)).toEqual({ problem: expect.stringMatching(/no such|not found|ENOENT/i) });
  });

  it('draws a placeholder that says why, escaped', () => {
    const svg = placeholderSvg('no such blob <script>');
    expect(svg).toContain('screenshot unavailable');
    expect(svg).toContain('no such blob &#60;script&#62;');
    expect(svg).not.toContain('<script');
  });
});
