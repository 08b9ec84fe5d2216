import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TrainingExample } from '../schemas/types.ts';
import { trainingExample } from '../test/helpers/samples.ts';
import { rowLine } from './columns.ts';
import { exportDataset, type ExportOptions } from './datasetExport.ts';
import { compileFilter } from './exampleFilter.ts';
import { scrubPii } from './scrubPii.ts';

const example = (
  exampleId: string,
  trajectoryId: string,
  runId: string,
  more: Partial<TrainingExample> = {},
): TrainingExample => ({
  ...trainingExample(),
  exampleId,
  trajectoryId,
  runId,
  judgeVersion: 'm@judge.v1',
  ...more,
});

/** A dataset folder written by hand, shard by shard (as merged copies or older webtrails could leave it). */
function folderWith(...shards: TrainingExample[][]): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-exp-')), 'm@judge.v1');
  mkdirSync(dir);
  shards.forEach((rows, i) =>
    writeFileSync(
      path.join(dir, `part-${String(i).padStart(5, '0')}.jsonl.gz`),
      gzipSync(`${rows.map(rowLine).join('\n')}\n`),
    ),
  );
  writeFileSync(
    path.join(dir, 'README.md'),
    '| filter | `success > 0.5 and (efficiency > 0.5 or self_correction > 0.5) (preset insta)` |\n',
  );
  return dir;
}

const options = (from: string, more: Partial<ExportOptions> = {}): ExportOptions => ({
  from,
  to: path.join(path.dirname(from), 'out'),
  format: 'jsonl',
  form: 'messages',
  rowsPerFile: 2,
  metadata: { license: 'other', taskCategories: ['text-generation'] },
  ...more,
});

const rowsOf = (dir: string) =>
  readdirSync(path.join(dir, 'data'))
    .sort()
    .flatMap((f) =>
      readFileSync(path.join(dir, 'data', f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );

describe('webtrail export', () => {
  it('leaves out repeated example ids, other runs of a trajectory and what its filter drops, and says how many', async () => {
    const from = folderWith(
      [example('e1', 'A', 'run-a'), example('e2', 'A', 'run-a', { step: 1 })],
      [
        example('e1', 'A', 'run-a'),
        example('e3', 'A', 'run-b', { step: 2 }),
        example('e4', 'B', 'run-c', { success: 0.5 }),
        example('e5', 'C', 'run-d', { success: 0.75 }),
      ],
    );
    const summary = await exportDataset(options(from, { filter: compileFilter('success > 0.5') }));
    expect(summary).toMatchObject({
      judgeVersion: 'm@judge.v1',
      examples: 3,
      trajectories: 2,
      duplicates: 1,
      otherRuns: 1,
      filtered: 1,
      openShards: 0,
    });
    const out = options(from).to;
    expect(summary.files).toEqual(['data/train-00000.jsonl', 'data/train-00001.jsonl']);
    expect(rowsOf(out).map((r) => `${r.example_id as string}:${r.run_id as string}`)).toEqual([
      'e1:run-a',
      'e2:run-a',
      'e5:run-d',
    ]);
    // Scores stay floats in the copy; the card says what was applied, by the sink and by the export.
    expect(readFileSync(path.join(out, 'data/train-00000.jsonl'), 'utf8')).toContain('"success":1.0');
    const card = readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain(
      '| filter | `sink: success > 0.5 and (efficiency > 0.5 or self_correction > 0.5) (preset insta); then export: success > 0.5` |',
    );
    expect(card).toContain('    path: "data/train-*.jsonl"');
    expect(card).toContain('| examples | 3 |');
  });

  it('splits the chat into prompt and completion, and scrubs when asked', async () => {
    const from = folderWith([
      example('e1', 'A', 'run-a', {
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'mail ann@example.org' },
          { role: 'assistant', content: '{"a":1}' },
        ],
      }),
    ]);
    await exportDataset(options(from, { form: 'prompt-completion', scrub: (t) => scrubPii(t) }));
    const [row] = rowsOf(options(from).to);
    expect(row).toMatchObject({
      prompt: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'mail <EMAIL>' },
      ],
      completion: [{ role: 'assistant', content: '{"a":1}' }],
      example_id: 'e1',
    });
    expect(row!.messages).toBeUndefined();
  });

  it('leaves no half-written copy behind when it fails, and never writes into a folder that holds something', async () => {
    const from = folderWith(
      [example('e1', 'A', 'run-a')],
      [example('e2', 'B', 'run-b', { judgeVersion: 'other@judge.v2' })],
    );
    await expect(exportDataset(options(from))).rejects.toThrow(/holds examples of two judge versions/);
    expect(readdirSync(path.dirname(from)).sort()).toEqual(['m@judge.v1']);

    const fine = folderWith([example('e1', 'A', 'run-a')]);
    const taken = options(fine).to;
    mkdirSync(taken);
    writeFileSync(path.join(taken, 'keep.txt'), 'mine');
    await expect(exportDataset(options(fine))).rejects.toThrow(/already exists and is not an empty folder/);
    expect(readdirSync(taken)).toEqual(['keep.txt']);
    expect(existsSync(path.join(path.dirname(fine), '.out.partial-' + process.pid))).toBe(false);
  });
});
