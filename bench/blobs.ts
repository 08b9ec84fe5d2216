// The blob store's cost per step: each rollout step stores one screenshot (putContent: a lookup by hash,
// then a write). Measured for the local folder and for S3 (s3proxy on this machine, its own folder and
// port): writes per second with 8 writers (8 contexts), and one writer's latency and CPU per write.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { type BlobStore, LocalBlobStore, openBlobStore, percentile } from '../platform/index.ts';
import { startPrivateS3, stopS3 } from '../scripts/index.ts';

export interface BlobRow {
  backend: string;
  writes: number;
  /** With 8 concurrent writers. */
  writes_per_s: number;
  /** One writer: ms per step's screenshot (lookup + write), p50 and p95. */
  step_ms_p50: number;
  step_ms_p95: number;
  /** This process's CPU per write (the S3 server's own CPU not included). */
  cpu_ms_per_write: number;
  /** Storing bytes already there (a redelivered step): only the lookup. */
  repeat_ms_p50: number;
}

/** A screenshot-sized JPEG stand-in: distinct bytes each time, so every write is a real write. */
const screenshot = (bytes: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(bytes - 4)]);

async function measure(backend: string, store: BlobStore, writes: number, bytes: number): Promise<BlobRow> {
  // Warm up connections and code paths.
  for (let i = 0; i < 10; i += 1) await store.putContent('warmup', screenshot(bytes), 'image/jpeg', 'jpg');
  const serial: number[] = [];
  const cpu = process.cpuUsage();
  const serialCount = Math.max(20, Math.round(writes / 4));
  for (let i = 0; i < serialCount; i += 1) {
    const t = performance.now();
    await store.putContent('screenshots', screenshot(bytes), 'image/jpeg', 'jpg');
    serial.push(performance.now() - t);
  }
  const used = process.cpuUsage(cpu);
  const repeat: number[] = [];
  const same = screenshot(bytes);
  await store.putContent('screenshots', same, 'image/jpeg', 'jpg');
  for (let i = 0; i < 20; i += 1) {
    const t = performance.now();
    await store.putContent('screenshots', same, 'image/jpeg', 'jpg');
    repeat.push(performance.now() - t);
  }
  const limit = pLimit(8);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writes }, () =>
      limit(() => store.putContent('screenshots', screenshot(bytes), 'image/jpeg', 'jpg')),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    backend,
    writes,
    writes_per_s: Math.round(writes / seconds),
    step_ms_p50: percentile(serial, 50),
    step_ms_p95: percentile(serial, 95),
    cpu_ms_per_write: Math.round(((used.user + used.system) / 1000 / serialCount) * 100) / 100,
    repeat_ms_p50: percentile(repeat, 50),
  };
}

export async function benchBlobs(options: {
  quick: boolean;
  home: string;
  say(line: string): void;
}): Promise<{ bytes: number; rows: BlobRow[] }> {
  const writes = options.quick ? 200 : 1000;
  const bytes = 100 * 1024;
  const rows: BlobRow[] = [];
  options.say(`blobs: ${writes} screenshot-sized writes (${bytes / 1024} KiB) to a local folder`);
  rows.push(await measure('folder', new LocalBlobStore(mkdtempSync(path.join(options.home, 'blobs-'))), writes, bytes));
  const { s3, serverEnv } = await startPrivateS3(mkdtempSync(path.join(options.home, 's3-')));
  const store = await openBlobStore(s3.env);
  try {
    options.say(`blobs: the same to S3 (s3proxy on ${s3.endpoint})`);
    rows.push(await measure('s3 (s3proxy, local)', store, writes, bytes));
  } finally {
    await store.close();
    await stopS3(serverEnv);
  }
  return { bytes, rows };
}
