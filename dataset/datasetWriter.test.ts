import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trainingExample } from '../test/helpers/samples.ts';
import { DatasetWriter } from './datasetWriter.ts';
import { jsonLine, rowLine, toRow } from './columns.ts';
import { NODE_FS, type FileSystem } from './durableFiles.ts';
import { PowerCutFs } from '../test/helpers/powerCutFs.ts';

const example = (id: string) => ({ ...trainingExample(), exampleId: id, trajectoryId: `traj-${id}` });
const rows = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^part-\d+\.jsonl\.gz$/.test(f))
    .sort()
    .flatMap((f) =>
      gunzipSync(readFileSync(path.join(dir, f)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean),
    )
    .map((l) => (JSON.parse(l) as { example_id: string }).example_id);

describe('DatasetWriter', () => {
  it('after a crash keeps exactly what was acknowledged, drops a torn write, and skips known ids after restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const first = new DatasetWriter(dir, { maxShardBytes: 1 << 20, maxShardAgeMs: 60_000, flushIntervalMs: 5 });
    expect(await first.append([example('a'), example('b')])).toBe(2);
    expect(await first.append([example('b'), example('c')])).toBe(1);
    // The process dies mid-write: half a gzip member lands after the durable length, nothing is closed.
    const open = readdirSync(dir).find((f) => f.endsWith('.jsonl.gz.tmp'))!;
    appendFileSync(path.join(dir, open), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));

    const second = new DatasetWriter(dir, { maxShardBytes: 1 << 20, maxShardAgeMs: 60_000, flushIntervalMs: 5 });
    expect(rows(dir)).toEqual(['a', 'b', 'c']);
    expect(await second.append([example('a'), example('c'), example('d')])).toBe(1);
    await second.close();
    expect(rows(dir)).toEqual(['a', 'b', 'c', 'd']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('finishes a shard by size, and by age so a slow run is readable while it goes on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const bySize = new DatasetWriter(dir, { maxShardBytes: 1024, maxShardAgeMs: 60_000, flushIntervalMs: 1 });
    for (let i = 0; i < 6; i += 1)
      await bySize.append(
        Array.from({ length: 10 }, (_, j) => ({
          ...example(`s${i}-${j}`),
          messages: [{ role: 'user', content: randomBytes(200).toString('hex') }],
        })),
      );
    expect(readdirSync(dir).filter((f) => /^part-\d+\.jsonl\.gz$/.test(f)).length).toBeGreaterThan(1);
    await bySize.close();
    expect(rows(dir)).toHaveLength(60);

    const dir2 = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const byAge = new DatasetWriter(dir2, { maxShardBytes: 1 << 20, maxShardAgeMs: 200, flushIntervalMs: 1 });
    await byAge.append([example('x')]);
    expect(rows(dir2)).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    expect(rows(dir2)).toEqual(['x']);
    await byAge.append([example('y')]);
    await byAge.close();
    expect(rows(dir2)).toEqual(['x', 'y']);
  });
});

describe('rowLine', () => {
  it('writes scores as floats even when whole, so readers that infer types per shard agree', () => {
    const line = rowLine({ ...trainingExample(), success: 1, efficiency: 0, selfCorrection: 0.75 });
    expect(line).toMatch(/"success":1\.0,"efficiency":0\.0,"self_correction":0\.75}$/);
    expect(JSON.parse(line)).toEqual(toRow({ ...trainingExample(), success: 1, efficiency: 0, selfCorrection: 0.75 }));
    // The same line the export writes for the row (jsonLine), character for character.
    const row = toRow({ ...trainingExample(), success: 1, efficiency: 0, selfCorrection: 0.75 });
    expect(line).toBe(jsonLine(row));
  });
});

/** node:fs with a fault planted: the next writes fail as a full disk fails them, after writing part of the bytes. */
function diskThatFills(): { fs: FileSystem; fillNextWrites(n: number): void; shortNextWrite(): void } {
  let failing = 0;
  let short = false;
  const fs: FileSystem = {
    ...NODE_FS,
    writeSync: ((fd: number, buffer: Buffer, offset?: number, length?: number, position?: number) => {
      if (short) {
        // The disk takes half and says so, without an error (a write near a full disk, or a signal).
        short = false;
        return NODE_FS.writeSync(fd, buffer, offset ?? 0, Math.floor((length ?? buffer.length) / 2), position);
      }
      if (failing > 0) {
        failing -= 1;
        // Half the member lands before the disk is full.
        NODE_FS.writeSync(fd, buffer, offset ?? 0, Math.floor((length ?? buffer.length) / 2), position);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return NODE_FS.writeSync(fd, buffer, offset, length, position);
    }) as FileSystem['writeSync'],
  };
  return { fs, fillNextWrites: (n) => void (failing = n), shortNextWrite: () => void (short = true) };
}

describe('a write that fails', () => {
  // A trajectory of three steps, round 1, the best of 2 attempts, with hand-picked sizes and scores.
  const steps = [130, 64, 700].map((tokens, step) => ({
    ...trainingExample(),
    exampleId: `r-${step}`,
    trajectoryId: 'traj-r',
    step,
    tokens,
    round: 1,
    attempts: 2,
    attempt: 1,
    success: 0.75,
    efficiency: 0.5,
    selfCorrection: 0.25,
  }));

  it('is counted in no figure of the card, and the verdict delivered again is counted once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const disk = diskThatFills();
    const writer = new DatasetWriter(dir, {
      maxShardBytes: 1 << 20,
      maxShardAgeMs: 60_000,
      flushIntervalMs: 1,
      fs: disk.fs,
    });
    disk.fillNextWrites(1);
    await expect(writer.append(steps)).rejects.toThrow(/ENOSPC/);
    expect(writer.stats.examples).toBe(0);
    expect(writer.runOf('traj-r')).toBeUndefined();
    // Redelivered, the disk has room again.
    expect(await writer.append(steps)).toBe(3);
    const { stats } = writer;
    expect(stats.examples).toBe(3);
    expect([...stats.trajectories]).toEqual(['traj-r']);
    expect([...stats.rounds]).toEqual([[1, { examples: 3, trajectories: 1 }]]);
    expect([...stats.attempts]).toEqual([[2, { examples: 3, trajectories: 1 }]]);
    // 130 → the 192 step, 64 → 64, 700 → 704 (steps of 64, rounded up).
    expect([...stats.tokenSteps].sort(([a], [b]) => a - b)).toEqual([
      [64, 1],
      [192, 1],
      [704, 1],
    ]);
    expect(stats.maxTokens).toBe(700);
    expect([...stats.scoresByTrajectory]).toEqual([
      ['traj-r', { success: 0.75, efficiency: 0.5, selfCorrection: 0.25 }],
    ]);
    expect([...stats.agentVersions]).toEqual(['m@agent.v1']);
    await writer.close();
    // The half-written member is not in the shard: it reads back whole, each example once.
    expect(rows(dir)).toEqual(['r-0', 'r-1', 'r-2']);
    // A restart counts the same figures from the disk.
    const again = new DatasetWriter(dir, { maxShardBytes: 1 << 20, maxShardAgeMs: 60_000, flushIntervalMs: 1 });
    expect(again.stats.examples).toBe(3);
    expect([...again.stats.rounds]).toEqual([[1, { examples: 3, trajectories: 1 }]]);
    expect([...again.stats.tokenSteps].sort(([a], [b]) => a - b)).toEqual([
      [64, 1],
      [192, 1],
      [704, 1],
    ]);
    await again.close();
  });

  it('finishes a short write (a disk that took part of a batch and said so) before it counts the batch', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const disk = diskThatFills();
    const options = { maxShardBytes: 1 << 20, maxShardAgeMs: 60_000, flushIntervalMs: 1 };
    const writer = new DatasetWriter(dir, { ...options, fs: disk.fs });
    expect(await writer.append([example('a')])).toBe(1);
    disk.shortNextWrite();
    expect(await writer.append([example('b')])).toBe(1);
    expect(await writer.append([example('c')])).toBe(1);
    // A crash now: what recovery reads back is whole, each acknowledged example once.
    const recovered = new DatasetWriter(dir, options);
    expect(rows(dir)).toEqual(['a', 'b', 'c']);
    await recovered.close();
  });

  it('finishes no empty shard when a shard whose only write failed comes of age', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const disk = diskThatFills();
    const options = { maxShardBytes: 1 << 20, maxShardAgeMs: 50, flushIntervalMs: 1 };
    const writer = new DatasetWriter(dir, { ...options, fs: disk.fs });
    disk.fillNextWrites(1);
    await expect(writer.append([example('a')])).rejects.toThrow(/ENOSPC/);
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(dir).filter((f) => f.startsWith('part-'))).toEqual([]);
    expect(await writer.append([example('a')])).toBe(1);
    await writer.close();
    const again = new DatasetWriter(dir, options);
    expect(rows(dir)).toEqual(['a']);
    await again.close();
  });

  it('leaves the open shard readable: a later batch is written at the durable length, not after the torn bytes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const disk = diskThatFills();
    const writer = new DatasetWriter(dir, {
      maxShardBytes: 1 << 20,
      maxShardAgeMs: 60_000,
      flushIntervalMs: 1,
      fs: disk.fs,
    });
    expect(await writer.append([example('a')])).toBe(1);
    disk.fillNextWrites(1);
    await expect(writer.append([example('b')])).rejects.toThrow(/ENOSPC/);
    expect(await writer.append([example('c')])).toBe(1);
    // A crash now: recovery cuts the open shard to its recorded length.
    const recovered = new DatasetWriter(dir, { maxShardBytes: 1 << 20, maxShardAgeMs: 60_000, flushIntervalMs: 1 });
    expect(rows(dir)).toEqual(['a', 'c']);
    await recovered.close();
  });
});

describe('a power cut', () => {
  it('keeps every example an append acknowledged, on a file system that forgets what was not synced', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const disk = new PowerCutFs();
    const options = { maxShardBytes: 2048, maxShardAgeMs: 60_000, flushIntervalMs: 1, fs: disk.fs };
    const writer = new DatasetWriter(dir, options);
    const acknowledged: string[] = [];
    // Enough to finish a shard by size and leave the next one open, then the power goes.
    for (let i = 0; i < 8; i += 1) {
      const batch = Array.from({ length: 3 }, (_, j) => ({
        ...example(`p${i}-${j}`),
        messages: [{ role: 'user' as const, content: randomBytes(120).toString('hex') }],
      }));
      await writer.append(batch);
      acknowledged.push(...batch.map((e) => e.exampleId));
    }
    expect(disk.fileSyncs).toBeGreaterThan(0);
    expect(readdirSync(dir).some((f) => /^part-\d+\.jsonl\.gz$/.test(f))).toBe(true);
    disk.powerCut();
    // Started again on what the disk kept: the open shard is finished from its recorded length.
    const after = new DatasetWriter(dir, { ...options, fs: NODE_FS });
    expect(rows(dir).sort()).toEqual([...acknowledged].sort());
    expect(after.stats.examples).toBe(acknowledged.length);
    await after.close();
    expect(readdirSync(dir).filter((f) => f.includes('.tmp') || f.includes('.new'))).toEqual([]);
  });
});
