// The datasets the sink writes and `webtrail export` copies, loaded by the real Hugging Face `datasets`
// (pinned in training/requirements-datasets.txt, installed into .venv by scripts/setup.sh) exactly as the
// card says: load_dataset("<folder>"), after the folder has been moved.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../schemas/types.ts';
import { loadSinkConfig } from '../services/sink/config.ts';
import { Sink } from '../services/sink/sink.ts';
import { ROOT, runCli } from './helpers/processes.ts';
import { verdict } from './helpers/samples.ts';

const PYTHON = process.env.WEBTRAIL_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');

interface Loaded {
  rows: number;
  features: Record<string, unknown>;
  success: number[];
  run_id: Array<string | null>;
  first: Record<string, unknown>;
}

/** What `load_dataset(folder)` gives, through training/check_dataset.py. */
function load(folder: string, ...flags: string[]): Loaded {
  if (!existsSync(PYTHON))
    throw new Error(
      `no Python with Hugging Face datasets at ${PYTHON}: run bash scripts/setup.sh (or set WEBTRAIL_PYTHON)`,
    );
  const cache = mkdtempSync(path.join(tmpdir(), 'webtrail-hf-'));
  const run = spawnSync(PYTHON, [path.join(ROOT, 'training', 'check_dataset.py'), folder, ...flags], {
    encoding: 'utf8',
    timeout: 120_000,
    // Offline, with a cache of its own: nothing is fetched and no earlier load is reused.
    env: {
      ...process.env,
      HF_HOME: cache,
      HF_DATASETS_OFFLINE: '1',
      HF_HUB_OFFLINE: '1',
      HF_HUB_DISABLE_TELEMETRY: '1',
    },
  });
  if (run.status !== 0)
    throw new Error(`load_dataset(${folder}) failed:\n${run.stderr.split('\n').slice(-15).join('\n')}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Loaded;
}

const reply = '{"thought":"open the mugs","action":{"kind":"click","elementId":1}}';

function judgedRun(
  taskId: string,
  scores: Pick<Verdict, 'success' | 'efficiency' | 'selfCorrection'>,
  runId = `run-${taskId}`,
): Verdict {
  const v = verdict(taskId);
  const steps = v.trajectory.steps.map((step) => ({
    ...step,
    llmOutput: reply,
    prompt: [
      { role: 'system' as const, content: 'You are a web agent.' },
      { role: 'user' as const, content: `Task ${taskId}\n[1] link "Mugs"` },
    ],
  }));
  return { ...v, ...scores, judgeVersion: 'm@judge.v1', trajectory: { ...v.trajectory, runId, steps } };
}

async function sinkSession(datasets: string, verdicts: Verdict[]): Promise<void> {
  const sink = new Sink({ ...loadSinkConfig({}), datasetsDir: datasets, flushIntervalMs: 1 });
  for (const v of verdicts) await sink.accept(v);
  await sink.close();
}

describe('a dataset loaded with Hugging Face datasets', () => {
  it('loads from its card after being moved, although its first shards hold only whole-number scores and a later one fractions', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-ds-'));
    const datasets = path.join(home, 'datasets');
    const folder = path.join(datasets, 'm@judge.v1');
    // A shard an earlier webtrail wrote: integer scores (1, not 1.0) and no run_id column.
    mkdirSync(folder, { recursive: true });
    const legacy = {
      messages: [
        { role: 'user', content: 'old' },
        { role: 'assistant', content: reply },
      ],
      example_id: 'ex-old',
      trajectory_id: 'traj-old',
      task_id: 'old',
      domain: 'shop.localhost',
      step: 0,
      judge_version: 'm@judge.v1',
      agent_version: 'm@agent.v1',
      generator_version: 'g',
      success: 1,
      efficiency: 1,
      self_correction: 1,
    };
    writeFileSync(path.join(folder, 'part-00000.jsonl.gz'), gzipSync(`${JSON.stringify(legacy)}\n`));
    // Whole numbers only, in a shard of their own (one sink session), then a fraction in the next.
    await sinkSession(datasets, [
      judgedRun('t1', { success: 1, efficiency: 1, selfCorrection: 1 }),
      judgedRun('t2', { success: 1, efficiency: 0, selfCorrection: 1 }),
    ]);
    await sinkSession(datasets, [judgedRun('t3', { success: 0.75, efficiency: 0.6, selfCorrection: 0.5 })]);

    const moved = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-moved-')), 'my-web-agent-data');
    renameSync(folder, moved);
    const loaded = load(moved);
    expect(loaded.rows).toBe(4);
    expect(loaded.success).toEqual([1, 1, 1, 0.75]);
    expect(loaded.run_id).toEqual([null, 'run-t1', 'run-t2', 'run-t3']);
    expect(loaded.features.success).toBe('float64');
    expect(loaded.features.step).toBe('int64');
    expect(loaded.features.run_id).toBe('string');
    expect(loaded.features.messages).toEqual([{ role: 'string', content: 'string' }]);
    expect(loaded.first).toMatchObject({
      example_id: 'ex-old',
      messages: [
        { role: 'user', content: 'old' },
        { role: 'assistant', content: reply },
      ],
    });
  });

  it("types its scores as floats in every shard, for a reader that infers each file's types and ignores the card", async () => {
    const datasets = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-ds-')), 'datasets');
    await sinkSession(datasets, [judgedRun('t1', { success: 1, efficiency: 1, selfCorrection: 1 })]);
    await sinkSession(datasets, [judgedRun('t2', { success: 0.75, efficiency: 0.6, selfCorrection: 0.5 })]);
    const loaded = load(path.join(datasets, 'm@judge.v1'), '--without-card');
    expect(loaded.success).toEqual([1, 0.75]);
    expect(loaded.features.success).toBe('float64');
  });
});

describe('webtrail export', () => {
  async function dataset(): Promise<string> {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-export-'));
    await sinkSession(path.join(home, 'datasets'), [
      judgedRun('t1', { success: 1, efficiency: 1, selfCorrection: 1 }),
      judgedRun('t2', { success: 0.75, efficiency: 0.6, selfCorrection: 0 }),
      // Another run of t1 (a redelivered rollout): the sink keeps the first.
      judgedRun('t1', { success: 1, efficiency: 1, selfCorrection: 1 }, 'run-t1-again'),
    ]);
    return home;
  }

  it('writes Parquet in the prompt/completion form that datasets loads with its types, and JSON lines in the chat form', async () => {
    const home = await dataset();
    const env = { WEBTRAIL_HOME: home };
    const parquetDir = path.join(home, 'publish-parquet');
    const done = await runCli(['export', '--to', parquetDir, '--format', 'parquet', '--form', 'prompt-completion'], {
      env,
    });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(
      /^exported 2 examples \(2 trajectories\) of judge m@judge\.v1 to .*publish-parquet: 1 parquet file\(s\)/,
    );
    const moved = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-moved-')), 'published');
    renameSync(parquetDir, moved);
    const parquet = load(moved);
    expect(parquet.rows).toBe(2);
    expect(parquet.success).toEqual([1, 0.75]);
    expect(parquet.features.prompt).toEqual([{ role: 'string', content: 'string' }]);
    expect(parquet.features.completion).toEqual([{ role: 'string', content: 'string' }]);
    expect(parquet.features.success).toBe('float64');
    expect(parquet.features.messages).toBeUndefined();
    expect(parquet.first).toMatchObject({
      prompt: [
        { role: 'system', content: 'You are a web agent.' },
        { role: 'user', content: 'Task t1\n[1] link "Mugs"' },
      ],
      completion: [{ role: 'assistant', content: reply }],
      run_id: 'run-t1',
      step: 0,
    });

    const jsonlDir = path.join(home, 'publish-jsonl');
    const strict = await runCli(['export', '--to', jsonlDir, '--filter', 'insta-scripts'], { env });
    expect(strict.code).toBe(0);
    expect(strict.stdout).toContain('left out: 0 duplicate(s), 0 other run(s) of a trajectory, 1 by --filter');
    const jsonl = load(jsonlDir);
    expect(jsonl.rows).toBe(1);
    expect(jsonl.first).toMatchObject({
      messages: [
        { role: 'system', content: 'You are a web agent.' },
        { role: 'user', content: 'Task t1\n[1] link "Mugs"' },
        { role: 'assistant', content: reply },
      ],
      success: 1,
    });
  });

  it('refuses what it cannot do with one line, and writes nothing', async () => {
    const home = await dataset();
    const env = { WEBTRAIL_HOME: home };
    const target = path.join(home, 'out');
    const bad = [
      [['export', '--to', target, '--format', 'csv'], /--format.*expected one of jsonl, parquet/],
      [
        ['export', '--to', target, '--judge-version', 'other@judge.v9'],
        /no dataset of judge version other@judge\.v9 in .* \(datasets there: m@judge\.v1\)/,
      ],
      [['export', '--to', target, '--filter', 'sucess > 1'], /reads "sucess", which is not a score/],
      [['export', '--to', path.join(home, 'datasets')], /already exists and is not an empty folder/],
      [['export', '--to', target, '--datasets', path.join(home, 'nowhere')], /no dataset in .*nowhere/],
    ] as const;
    for (const [args, why] of bad) {
      const run = await runCli([...args], { env });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(why);
    }
    expect(existsSync(target)).toBe(false);
  });
});
