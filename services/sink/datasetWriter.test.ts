import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trainingExample } from '../../test/helpers/samples.ts';
import { DatasetWriter, rowLine, toRow } from './datasetWriter.ts';

const example = (id: string) => ({ ...trainingExample(), exampleId: id, trajectoryId: `traj-${id}` });
const rows = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^part-\d+\.jsonl\.gz$/.test(f))
    .sort()
    .flatMap((f) => gunzipSync(readFileSync(path.join(dir, f))).toString('utf8').split('\n').filter(Boolean))
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
    for (let i = 0; i < 6; i += 1) await bySize.append(Array.from({ length: 10 }, (_, j) => ({ ...example(`s${i}-${j}`), messages: [{ role: 'user', content: randomBytes(200).toString('hex') }] })));
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
  });
});
