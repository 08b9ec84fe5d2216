// The S3 blob store against a real S3-compatible server (s3proxy on this machine, its own folder and
// port): content addressing, multipart, reading from another process, the errors a user can cause, and
// a rollout that rides out the server being killed mid-run.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentKey, openBlobStore, sha256, type BlobStore } from '../platform/blobStore.ts';
import { S3BlobStore } from '../platform/s3BlobStore.ts';
import { startPrivateS3, startS3, stopS3, storedObjects, type LocalS3 } from '../scripts/localS3.ts';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { startScriptedLlm, type ScriptedLlm } from '../sandbox/scriptedLlm.ts';
import { SITES } from '../sandbox/sites/index.ts';
import type { BrowserPool } from '../browser/browserPool.ts';
import { OpenAiLlmClient } from '../llm/llmClient.ts';
import { loadLlmConfig } from '../llm/llmConfig.ts';
import { loadPrompt } from '../llm/prompts.ts';
import { loadRolloutConfig } from '../services/rollout/config.ts';
import { runTrajectory } from '../services/rollout/agentLoop.ts';
import { testPool } from './helpers/browser.ts';
import { waitFor } from './helpers/kafka.ts';
import { runCli } from './helpers/processes.ts';
import { task as sampleTask, usage } from './helpers/samples.ts';

let serverEnv: Record<string, string>;
let s3: LocalS3;
let store: BlobStore;

beforeAll(async () => {
  ({ s3, serverEnv } = await startPrivateS3(mkdtempSync(path.join(tmpdir(), 'webtrail-s3-'))));
  store = await openBlobStore({ ...s3.env, WEBTRAIL_BLOB_RETRY_DEADLINE_MS: '60000' });
}, 120_000);

afterAll(async () => {
  await store?.close();
  if (serverEnv) await stopS3(serverEnv);
});

describe('the S3 blob store', () => {
  it('names blobs by their content and writes the same bytes once', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('a screenshot')]);
    const first = await store.putContent('screenshots', jpeg, 'image/jpeg', 'jpg');
    const key = contentKey('screenshots', jpeg, 'jpg');
    expect(first).toBe(`s3://webtrail/blobs/${key}`);
    expect(key).toBe(`screenshots/${sha256(jpeg).slice(0, 2)}/${sha256(jpeg)}.jpg`);
    const file = path.join(serverEnv.WEBTRAIL_HOME!, 's3', 'data', 'webtrail', 'blobs', key);
    const written = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.putContent('screenshots', jpeg, 'image/jpeg', 'jpg')).toBe(first);
    expect(statSync(file).mtimeMs).toBe(written);
    expect(storedObjects(serverEnv).filter((k) => k.startsWith('blobs/screenshots/'))).toEqual([`blobs/${key}`]);
    expect(await store.get(first)).toEqual(jpeg);
  });

  it('uploads a big object in parts and reads it back whole', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    const uri = await store.put('payloads/big.bin', big, 'application/octet-stream');
    expect(sha256(await store.get(uri))).toBe(sha256(big));
  });

  it('is read from another process by the URI a record carries (webtrail blob)', async () => {
    const bytes = Buffer.from('seen by another process');
    const uri = await store.putContent('screenshots', bytes, 'image/jpeg', 'jpg');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-blob-')), 'shot.jpg');
    const run = await runCli(['blob', uri, '--out', out], { env: s3.env });
    expect(run.stderr).toBe(`wrote ${bytes.length} bytes to ${out}\n`);
    expect(run.code).toBe(0);
    expect(statSync(out).size).toBe(bytes.length);
    const missing = await runCli(['blob', `s3://webtrail/blobs/screenshots/00/${'0'.repeat(64)}.jpg`, '--out', out], {
      env: s3.env,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such blob/);
  });

  it("takes webtrail observe's screenshot, which another process then reads by its URI", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-observe-'));
    writeFileSync(
      path.join(dir, 'page.html'),
      '<html><head><title>Shelf</title></head><body><h1>Shelf</h1><a href="/next">Next</a></body></html>',
    );
    const observed = await runCli(['observe', path.join(dir, 'page.html'), '--json', '--store-screenshot'], {
      env: { ...s3.env, WEBTRAIL_BLOB_URL: 's3://webtrail/observed' },
    });
    expect(observed.code, observed.stderr).toBe(0);
    const { screenshotRef } = JSON.parse(observed.stdout) as { screenshotRef: string };
    expect(screenshotRef).toMatch(/^s3:\/\/webtrail\/observed\/screenshots\/[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/);
    const out = path.join(dir, 'shot.jpg');
    expect((await runCli(['blob', screenshotRef, '--out', out], { env: s3.env })).code).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(screenshotRef.endsWith(`/${sha256(bytes)}.jpg`)).toBe(true);
  });

  it('tells the user what is wrong: a bad URL, refused credentials, a missing bucket', async () => {
    await expect(openBlobStore({ WEBTRAIL_BLOB_URL: 's3://Bad_Bucket/x' })).rejects.toThrow(
      /expected file:\/\/\/a\/folder or s3:\/\/bucket/,
    );
    const wrongKey = await openBlobStore({ ...s3.env, AWS_SECRET_ACCESS_KEY: 'not-the-key' });
    await expect(wrongKey.put('x', Buffer.from('x'), 'text/plain')).rejects.toThrow(/refused the credentials/);
    await wrongKey.close();
    const noBucket = await openBlobStore({ ...s3.env, WEBTRAIL_BLOB_URL: 's3://no-such-bucket/x' });
    await expect(noBucket.put('x', Buffer.from('x'), 'text/plain')).rejects.toThrow(
      /bucket no-such-bucket does not exist/,
    );
    await noBucket.close();
  });
});

describe('a rollout writing screenshots to S3', () => {
  let sandbox: Sandbox;
  let llm: ScriptedLlm;
  let pool: BrowserPool;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    // Slow replies: the run lasts long enough to kill the store between two steps.
    llm = await startScriptedLlm({ latencyMs: 1500 });
    pool = testPool(sandbox.allowHost);
  });

  afterAll(async () => {
    await pool?.close();
    await llm?.close();
    await sandbox?.close();
  });

  it('rides out the S3 server killed mid-run: its steps retry, the run completes, and every screenshot it refers to is there', async () => {
    const planned = SITES.find((s) => s.name === 'shop')!.tasks.find((t) => t.id === 'shop-cheapest-red')!;
    const task = {
      ...sampleTask('s3-outage'),
      domain: 'shop.localhost',
      startUrl: new URL(planned.startPath, sandbox.siteUrl('shop')).toString(),
      instruction: planned.instruction,
      usage: usage(),
    };
    const blobs = await openBlobStore({
      ...s3.env,
      WEBTRAIL_BLOB_URL: 's3://webtrail/outage',
      WEBTRAIL_BLOB_RETRY_DEADLINE_MS: '60000',
    });
    const deps = {
      openBrowser: () => pool.newSession(),
      llm: new OpenAiLlmClient(loadLlmConfig('AGENT', { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' })),
      prompt: loadPrompt('agent', 'v1'),
      blobs,
      config: loadRolloutConfig({}),
      now: () => Date.now(),
    };
    const running = runTrajectory(task, deps, new AbortController().signal);
    // Once the first screenshot is in, the server dies (SIGKILL) and comes back 4 s later.
    await waitFor(
      () => (storedObjects(serverEnv).some((k) => k.startsWith('outage/')) ? true : undefined),
      30_000,
      'the first screenshot',
    );
    expect(await stopS3(serverEnv, { kill: true })).toBe(true);
    await new Promise((r) => setTimeout(r, 4000));
    await startS3(serverEnv);
    const trajectory = await running;
    await blobs.close();

    expect(trajectory.status).toBe('answered');
    expect(trajectory.finalAnswer).toContain('Red Kitchen Timer');
    expect((blobs as S3BlobStore).retries).toBeGreaterThan(0);
    expect(trajectory.steps.length).toBeGreaterThanOrEqual(4);
    const reader = await openBlobStore(s3.env);
    for (const step of trajectory.steps) {
      expect(step.screenshotRef, `step ${step.index}`).toMatch(/^s3:\/\/webtrail\/outage\/screenshots\//);
      const bytes = await reader.get(step.screenshotRef!);
      expect(step.screenshotRef!.endsWith(`/${sha256(bytes)}.jpg`)).toBe(true);
    }
    await reader.close();
  }, 180_000);
});
