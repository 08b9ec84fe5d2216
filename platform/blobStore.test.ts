import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalBlobStore, sha256 } from './blobStore.ts';

describe('the local blob store', () => {
  it('stores the same bytes written at once by several contexts, each getting the one URI', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'webtrail-blobs-'));
    const store = new LocalBlobStore(root);
    const observation = Buffer.alloc(300_000, 'the same page seen by four attempts ');
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => store.putContent('observations', observation, 'text/plain', 'txt')),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const uris = new Set(results.map((r) => (r as PromiseFulfilledResult<string>).value));
    expect(uris.size).toBe(1);
    const [uri] = [...uris];
    expect(sha256(readFileSync(fileURLToPath(uri!)))).toBe(sha256(observation));
    // Nothing half-written is left beside it.
    expect(readdirSync(path.dirname(fileURLToPath(uri!)))).toEqual([path.basename(fileURLToPath(uri!))]);
  });

  it('makes a folder again when the store was cleaned under a running process', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'webtrail-blobs-'));
    const store = new LocalBlobStore(root);
    const first = await store.putContent('screenshots', Buffer.from('before the clean-up'), 'image/jpeg', 'jpg');
    rmSync(path.join(root, 'screenshots'), { recursive: true });
    const again = await store.putContent('screenshots', Buffer.from('before the clean-up'), 'image/jpeg', 'jpg');
    expect(again).toBe(first);
    expect(readFileSync(fileURLToPath(again), 'utf8')).toBe('before the clean-up');
  });
});
