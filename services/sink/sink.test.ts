import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { trainingExample, verdict } from '../../test/helpers/samples.ts';
import { isRetriable } from '../../platform/errors.ts';
import { loadSinkConfig } from './config.ts';
import { DatasetWriter, readShards } from '../../dataset/index.ts';
import { Sink } from './sink.ts';
import { examplesFor } from './examples.ts';
import { loadPrompt } from '../../llm/prompts.ts';

const writerOptions = { maxShardBytes: 1 << 20, maxShardAgeMs: 60_000, flushIntervalMs: 1 };

function sinkIn(home: string): Sink {
  return new Sink({ ...loadSinkConfig({}), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 });
}

const judged = (taskId: string, judgeVersion: string) => {
  const v = verdict(taskId);
  const steps = v.trajectory.steps.map((step) => ({
    ...step,
    llmOutput: '{"thought":"the mugs","action":{"kind":"click","elementId":1}}',
  }));
  return { ...v, judgeVersion, trajectory: { ...v.trajectory, agentVersion: 'm@agent.v1', steps } };
};

/** Every file under a folder, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("each example's size", () => {
  it('is counted by the configured tokenizer, kept through a restart, and summed up in the card', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    // chars4: a token per 4 characters, rounded up, so the expected counts are worked out by hand below.
    const sink = new Sink({
      ...loadSinkConfig({ WEBTRAIL_TOKENIZER: 'chars4' }),
      datasetsDir: path.join(home, 'datasets'),
      flushIntervalMs: 1,
    });
    const examples = await sink.accept(judged('t1', 'm@judge.v1'));
    await sink.close();
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) {
      // 3 for the reply's start, then each message: ceil(characters / 4) and 4 of chat framing.
      expect(e.tokens).toBe(e.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4) + 4, 3));
    }
    const dir = path.join(home, 'datasets', 'm@judge.v1');
    expect([...readShards(dir)].map((e) => e.tokens)).toEqual(examples.map((e) => e.tokens));
    const longest = Math.max(...examples.map((e) => e.tokens));
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain(
      `| tokens per example | p50 ≤ ${Math.ceil(longest / 64) * 64}`.slice(0, 30),
    );
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain(`longest ${longest} (column \`tokens\``);
  });
});

describe('the sink and judge versions', () => {
  it('finishes every dataset a crash left open when it starts, before any verdict arrives', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    // A re-judging run's sink died with a shard open; that version will never get another verdict.
    const crashed = new DatasetWriter(path.join(home, 'datasets', 'old@judge.v1'), writerOptions);
    await crashed.append([
      { ...trainingExample(), exampleId: 'x1', judgeVersion: 'old@judge.v1' },
      { ...trainingExample(), exampleId: 'x2', judgeVersion: 'old@judge.v1' },
    ]);
    expect(readdirSync(path.join(home, 'datasets', 'old@judge.v1')).some((f) => f.endsWith('.jsonl.gz.tmp'))).toBe(
      true,
    );

    const sink = sinkIn(home);
    const dir = path.join(home, 'datasets', 'old@judge.v1');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect([...readShards(dir)].map((e) => e.exampleId)).toEqual(['x1', 'x2']);
    await sink.close();
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/\| examples \| 2 \|[\s\S]*\| files \| 1 \|/);
  });

  it('refuses verdicts whose version would leave or share the datasets folder, writing nothing', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    const sink = sinkIn(home);
    for (const bad of ['..', '.', '', 'a\u001b[2Jb', 'a\\b']) {
      const error = await sink.accept(judged('t1', bad)).then(
        () => null,
        (e: Error) => e,
      );
      expect(error, bad).toBeInstanceOf(Error);
      expect(isRetriable(error)).toBe(false);
      expect(error!.message).toMatch(/judge version/);
    }
    await sink.close();
    expect(existsSync(path.join(home, 'datasets')) ? filesUnder(path.join(home, 'datasets')) : []).toEqual([]);
    expect(readdirSync(home).filter((f) => f !== 'datasets')).toEqual([]);
  });

  it('refuses a verdict whose scores are not numbers from 0 to 1, instead of dropping it silently', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    const sink = sinkIn(home);
    for (const bad of [
      { success: Number.NaN },
      { efficiency: Number.POSITIVE_INFINITY },
      { selfCorrection: -0.1 },
      { success: 1.5 },
    ]) {
      const error = await sink.accept({ ...judged('t1', 'm@judge.v1'), ...bad }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message, JSON.stringify(bad)).toMatch(/scores are numbers from 0 to 1/);
      expect(isRetriable(error)).toBe(false);
    }
    await sink.close();
  });

  it('sizes examples before writing: one too big for its topic dead-letters the verdict and writes none', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    // A limit the test sets: examples whose page text is over 10,000 characters are refused.
    const sink = new Sink(
      { ...loadSinkConfig({}), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 },
      {
        exampleProblem: (e) =>
          e.messages.some((m) => m.content.length > 10_000) ? 'too big for the test topic' : null,
      },
    );
    const small = judged('t1', 'm@judge.v1');
    const big = judged('t2', 'm@judge.v1');
    const page = 'x'.repeat(20_000);
    big.trajectory.steps = [
      ...small.trajectory.steps,
      {
        ...small.trajectory.steps[0]!,
        index: 1,
        observation: page,
        prompt: [
          { role: 'system', content: 'You are a web agent.' },
          { role: 'user', content: page },
        ],
      },
    ];
    const error = await sink.accept(big).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toBe(
      `verdict for traj-t2: step 1's example ${error?.message.match(/example (\S+):/)?.[1]}: too big for the test topic; none of its 2 examples written`,
    );
    expect(isRetriable(error)).toBe(false);
    expect(await sink.accept(small)).toHaveLength(1);
    await sink.close();
    expect([...readShards(path.join(home, 'datasets', 'm@judge.v1'))].map((e) => e.trajectoryId)).toEqual(['traj-t1']);
  });

  it('keeps a version with slashes and dots inside the datasets folder', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    const sink = sinkIn(home);
    expect((await sink.accept(judged('t1', '../escape'))).length).toBeGreaterThan(0);
    await sink.close();
    expect(readdirSync(home)).toEqual(['datasets']);
    expect(readdirSync(path.join(home, 'datasets'))).toEqual(['%2E.%2Fescape']);
  });

  it('gives versions that used to share a folder (a:b and a_b) one each, and keeps both', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    const sink = sinkIn(home);
    const colon = await sink.accept(judged('t1', 'm@judge:b'));
    const underscore = await sink.accept(judged('t1', 'm@judge_b'));
    await sink.close();
    expect(colon.length).toBeGreaterThan(0);
    const datasets = path.join(home, 'datasets');
    expect(readdirSync(datasets).sort()).toEqual(['m@judge%3Ab', 'm@judge_b']);
    expect([...readShards(path.join(datasets, 'm@judge%3Ab'))].map((e) => e.exampleId)).toEqual(
      colon.map((e) => e.exampleId),
    );
    expect([...readShards(path.join(datasets, 'm@judge_b'))].map((e) => e.exampleId)).toEqual(
      underscore.map((e) => e.exampleId),
    );
  });

  it('takes over a folder an earlier webtrail named lossily, so its examples still count', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-sink-'));
    const first = sinkIn(home);
    const written = await first.accept(judged('t1', 'm@judge:b'));
    await first.close();
    // What an earlier webtrail left: the same dataset under the lossy name.
    const datasets = path.join(home, 'datasets');
    renameSync(path.join(datasets, 'm@judge%3Ab'), path.join(datasets, 'm@judge_b'));

    const second = sinkIn(home);
    expect(await second.accept(judged('t1', 'm@judge:b'))).toHaveLength(written.length);
    await second.close();
    expect(second.migrated).toEqual([[path.join(datasets, 'm@judge_b'), path.join(datasets, 'm@judge%3Ab')]]);
    expect(readdirSync(datasets)).toEqual(['m@judge%3Ab']);
    // Redelivered: not written twice.
    expect([...readShards(path.join(datasets, 'm@judge%3Ab'))].map((e) => e.exampleId)).toEqual(
      written.map((e) => e.exampleId),
    );
  });
});

describe('the dataset card', () => {
  it('declares, in Hugging Face front matter, a relative glob of its shards and the type of every column a row has', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-card-'));
    const sink = new Sink({
      ...loadSinkConfig({ WEBTRAIL_DATASET_LICENSE: 'cc-by-4.0' }),
      datasetsDir: path.join(home, 'datasets'),
      flushIntervalMs: 1,
    });
    await sink.accept(judged('t1', 'm@judge.v1'));
    await sink.close();
    const dir = path.join(home, 'datasets', readdirSync(path.join(home, 'datasets'))[0]!);
    const card = readFileSync(path.join(dir, 'README.md'), 'utf8');
    const [, yaml] = /^---\n([\s\S]*?)\n---\n/.exec(card) ?? [];
    const meta = parseYaml(yaml!) as {
      license: string;
      task_categories: string[];
      configs: Array<{ data_files: Array<{ split: string; path: string }> }>;
      dataset_info: { features: Array<{ name: string; dtype?: string }>; splits: Array<{ num_examples: number }> };
    };
    expect(meta.license).toBe('cc-by-4.0');
    expect(meta.task_categories).toEqual(['text-generation']);
    expect(meta.configs[0]!.data_files).toEqual([{ split: 'train', path: 'part-*.jsonl.gz' }]);
    // Every column a written row has, and nothing else; scores are floats, the step an integer.
    const row = JSON.parse(
      gunzipSync(
        readFileSync(
          path.join(
            dir,
            readdirSync(dir).find((f) => f.endsWith('.jsonl.gz'))!,
          ),
        ),
      )
        .toString('utf8')
        .split('\n')[0]!,
    ) as Record<string, unknown>;
    expect(meta.dataset_info.features.map((f) => f.name).sort()).toEqual(Object.keys(row).sort());
    const dtype = Object.fromEntries(meta.dataset_info.features.map((f) => [f.name, f.dtype]));
    expect([dtype.success, dtype.efficiency, dtype.self_correction, dtype.step]).toEqual([
      'float64',
      'float64',
      'float64',
      'int64',
    ]);
    expect(meta.dataset_info.splits[0]!.num_examples).toBe(1);
    expect(card).not.toContain('data_files=');
    expect(card).toContain('assistant_only_loss=True');
  });

  it('refuses a licence or task category the Hub would not read, naming the setting', () => {
    expect(() => loadSinkConfig({ WEBTRAIL_DATASET_LICENSE: 'CC BY 4.0' })).toThrow(/WEBTRAIL_DATASET_LICENSE/);
    expect(() => loadSinkConfig({ WEBTRAIL_DATASET_TASK_CATEGORIES: 'text generation' })).toThrow(
      /WEBTRAIL_DATASET_TASK_CATEGORIES/,
    );
  });
});

describe('one sink per datasets folder', () => {
  it('refuses a second sink on the same folder with a clear message, and lets one start once the first has closed', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-lock-'));
    const first = sinkIn(home);
    await first.accept(judged('t1', 'm@judge.v1'));
    const error = (() => {
      try {
        sinkIn(home);
        return null;
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toBe(
      `another sink is writing ${path.join(home, 'datasets')} (it holds ${path.join(home, 'datasets')}.lock): run one sink per datasets folder, or give this one its own with WEBTRAIL_SINK_DATASETS_DIR`,
    );
    expect(isRetriable(error)).toBe(false);
    // The refused sink touched nothing: the first one's open shard is still open and still its own.
    expect(readdirSync(path.join(home, 'datasets', 'm@judge.v1')).some((f) => f.endsWith('.tmp'))).toBe(true);
    await first.close();
    const next = sinkIn(home);
    expect(await next.accept(judged('t2', 'm@judge.v1'))).toHaveLength(1);
    await next.close();
    expect([...readShards(path.join(home, 'datasets', 'm@judge.v1'))].map((e) => e.trajectoryId).sort()).toEqual([
      'traj-t1',
      'traj-t2',
    ]);
  });
});

describe('a lock its owner left behind', () => {
  it('is taken over at once when its owner was a process on this host that is gone (a SIGKILLed sink), not when on another host', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-lock-'));
    const datasets = path.join(home, 'datasets');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const leave = (owner: object) => {
      mkdirSync(`${datasets}.lock`, { recursive: true });
      writeFileSync(`${datasets}.lock.owner.json`, JSON.stringify(owner));
    };
    mkdirSync(datasets, { recursive: true });
    leave({ host: 'another-pod', pid: gone });
    expect(() => sinkIn(home)).toThrow(/another sink is writing/);
    leave({ host: hostname(), pid: gone });
    const sink = sinkIn(home);
    expect(await sink.accept(judged('t1', 'm@judge.v1'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(`${datasets}.lock.owner.json`, 'utf8'))).toMatchObject({
      host: hostname(),
      pid: process.pid,
    });
    await sink.close();
  });
});

describe('a sink that runs for a while', () => {
  it('keeps its lock across refreshes (nothing it writes makes the lock look taken)', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-lock-'));
    const lost: unknown[] = [];
    const onError = (error: unknown) => lost.push(error);
    process.on('uncaughtException', onError);
    try {
      const sink = new Sink(
        { ...loadSinkConfig({}), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 },
        { lockRefreshMs: 1000 },
      );
      await sink.accept(judged('t1', 'm@judge.v1'));
      await new Promise((r) => setTimeout(r, 3500));
      expect(await sink.accept(judged('t2', 'm@judge.v1'))).toHaveLength(1);
      await sink.close();
      expect(lost).toEqual([]);
      expect(filesUnder(home).filter((f) => !f.startsWith('datasets/'))).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});

describe('what the sink keeps', () => {
  it("keeps by the filter: InSTA's rule by default, the user's expression when set, and says which in the card", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-filter-'));
    const sink = sinkIn(home);
    // Successful but neither efficient nor self-correcting: InSTA drops it, the old success ≥ 0.5 kept it.
    expect(
      await sink.accept({ ...judged('t1', 'm@judge.v1'), success: 1, efficiency: 0.4, selfCorrection: 0.4 }),
    ).toEqual([]);
    expect(
      await sink.accept({ ...judged('t2', 'm@judge.v1'), success: 0.75, efficiency: 0.4, selfCorrection: 0.6 }),
    ).toHaveLength(1);
    await sink.close();
    const dir = path.join(home, 'datasets', 'm@judge.v1');
    expect([...readShards(dir)].map((e) => e.trajectoryId)).toEqual(['traj-t2']);
    const card = readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(card).toContain(
      '| filter | `success > 0.5 and (efficiency > 0.5 or self_correction > 0.5) (preset insta)` |',
    );
    // Its one trajectory (0.75, 0.4, 0.6) in each score's histogram, counted by hand.
    expect(card).toContain('| 0.4–0.5 | 0 | 1 | 0 |');
    expect(card).toContain('| 0.6–0.7 | 0 | 0 | 1 |');
    expect(card).toContain('| 0.7–0.8 | 1 | 0 | 0 |');
    expect(card.match(/^\| \d\.\d–\d\.\d \| 0 \| 0 \| 0 \|$/gm)).toHaveLength(7);

    const other = mkdtempSync(path.join(tmpdir(), 'webtrail-filter-'));
    const lenient = new Sink({
      ...loadSinkConfig({ WEBTRAIL_SINK_FILTER: 'success >= 0.5' }),
      datasetsDir: path.join(other, 'datasets'),
      flushIntervalMs: 1,
    });
    expect(
      await lenient.accept({ ...judged('t1', 'm@judge.v1'), success: 1, efficiency: 0.4, selfCorrection: 0.4 }),
    ).toHaveLength(1);
    await lenient.close();
    expect(readFileSync(path.join(other, 'datasets', 'm@judge.v1', 'README.md'), 'utf8')).toContain(
      '| filter | `success >= 0.5` |',
    );
  });

  it('scrubs emails, phone numbers and URL secrets from every turn when asked, and not otherwise', async () => {
    const leaky = (taskId: string) => {
      const v = judged(taskId, 'm@judge.v1');
      const page =
        'Contact ann@example.org or (415) 555-2671; [2] link "Orders" -> https://shop.localhost/orders?session=s3cr3t&page=2';
      const steps = v.trajectory.steps.map((step) => ({
        ...step,
        prompt: [
          { role: 'system' as const, content: 'You are a web agent.' },
          { role: 'user' as const, content: page },
        ],
        llmOutput: '{"thought":"write to ann@example.org","action":{"kind":"click","elementId":2}}',
      }));
      return { ...v, trajectory: { ...v.trajectory, steps } };
    };
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-pii-'));
    const sink = new Sink({
      ...loadSinkConfig({ WEBTRAIL_SINK_SCRUB_PII: 'true' }),
      datasetsDir: path.join(home, 'datasets'),
      flushIntervalMs: 1,
    });
    const [example] = await sink.accept(leaky('t1'));
    await sink.close();
    const written = [...readShards(path.join(home, 'datasets', 'm@judge.v1'))];
    expect(written.map((e) => e.messages)).toEqual([example!.messages]);
    expect(example!.messages.map((m) => m.content)).toEqual([
      'You are a web agent.',
      'Contact <EMAIL> or <PHONE>; [2] link "Orders" -> https://shop.localhost/orders?session=<SECRET>&page=2',
      '{"thought":"write to <EMAIL>","action":{"kind":"click","elementId":2}}',
    ]);
    expect(readFileSync(path.join(home, 'datasets', 'm@judge.v1', 'README.md'), 'utf8')).toMatch(
      /\| PII scrubbed \| yes/,
    );

    const plain = sinkIn(mkdtempSync(path.join(tmpdir(), 'webtrail-pii-')));
    const [kept] = await plain.accept(leaky('t1'));
    await plain.close();
    expect(kept!.messages[1]!.content).toContain('ann@example.org or (415) 555-2671');
  });
});

describe('one run per trajectory', () => {
  // A rollout redelivered after it produced its trajectory (crash or rebalance before the commit) runs the
  // task again: same trajectory id, another run, other steps.
  const run = (
    runId: string,
    stepCount: number,
    scores: { success: number; efficiency: number; selfCorrection: number } = {
      success: 1,
      efficiency: 1,
      selfCorrection: 1,
    },
  ) => {
    const v = judged('t1', 'm@judge.v1');
    const [first] = v.trajectory.steps;
    const steps = Array.from({ length: stepCount }, (_, index) => ({
      ...first!,
      index,
      prompt: [{ role: 'user' as const, content: `${runId} step ${index}` }],
    }));
    return { ...v, ...scores, trajectory: { ...v.trajectory, runId, steps } };
  };
  const datasetOf = (home: string) =>
    [...readShards(path.join(home, 'datasets', 'm@judge.v1'))].map(
      (e) => `${e.runId}:${e.step}:${e.messages[0]!.content}`,
    );

  it("keeps the first run written and none of another run's steps, across a restart", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-runs-'));
    const others: string[] = [];
    const sink = new Sink(
      { ...loadSinkConfig({}), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 },
      { onOtherRun: (v, kept) => others.push(`${v.trajectory.runId} (kept ${kept})`) },
    );
    expect(await sink.accept(run('run-a', 2))).toHaveLength(2);
    // The second run went further: without the run check its steps 2 and 3 (new example ids) would join.
    expect(await sink.accept(run('run-b', 4))).toEqual([]);
    // The first run's verdict redelivered: nothing new, and still accepted.
    expect(await sink.accept(run('run-a', 2))).toHaveLength(2);
    await sink.close();
    expect(others).toEqual(['run-b (kept run-a)']);
    expect(datasetOf(home)).toEqual(['run-a:0:run-a step 0', 'run-a:1:run-a step 1']);

    const again = sinkIn(home);
    expect(await again.accept(run('run-b', 4))).toEqual([]);
    await again.close();
    expect(datasetOf(home)).toEqual(['run-a:0:run-a step 0', 'run-a:1:run-a step 1']);
  });

  it("keeps one run when two runs' verdicts are handled at once (one partition, handled concurrently)", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-runs-'));
    const others: string[] = [];
    const sink = new Sink(
      { ...loadSinkConfig({}), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 },
      { onOtherRun: (v, kept) => others.push(`${v.trajectory.runId} (kept ${kept})`) },
    );
    const made = await Promise.all([sink.accept(run('run-a', 2)), sink.accept(run('run-b', 3))]);
    await sink.close();
    expect(made.map((m) => m.length)).toEqual([2, 0]);
    expect(others).toEqual(['run-b (kept run-a)']);
    expect(datasetOf(home)).toEqual(['run-a:0:run-a step 0', 'run-a:1:run-a step 1']);
  });

  it('takes a later run when the first one left nothing in the dataset (the filter dropped it)', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-runs-'));
    const sink = sinkIn(home);
    expect(await sink.accept(run('run-a', 2, { success: 0, efficiency: 1, selfCorrection: 1 }))).toEqual([]);
    expect(await sink.accept(run('run-b', 3))).toHaveLength(3);
    expect(await sink.accept(run('run-c', 1))).toEqual([]);
    await sink.close();
    expect(datasetOf(home)).toEqual(['run-b:0:run-b step 0', 'run-b:1:run-b step 1', 'run-b:2:run-b step 2']);
  });
});

describe('examples of an exploration', () => {
  it('are left out unless the sink is asked to keep them', () => {
    const sample = verdict('e1');
    // One step with a valid reply: one example when kept.
    const v = {
      ...sample,
      trajectory: {
        ...sample.trajectory,
        steps: [
          { ...sample.trajectory.steps[0]!, llmOutput: '{"thought":"","action":{"kind":"click","elementId":1}}' },
        ],
      },
    };
    const exploration = { ...v, trajectory: { ...v.trajectory, task: { ...v.trajectory.task, kind: 'explore' } } };
    const options = {
      filter: loadSinkConfig({}).filter,
      historySteps: 5,
      maxSteps: 30,
      now: () => 0,
      agentPrompt: (id: string) => loadPrompt(...(id.split('.') as [string, string])),
    };
    expect(examplesFor(v, options)).toHaveLength(1);
    expect(examplesFor(exploration, options)).toEqual([]);
    expect(
      examplesFor(exploration, {
        ...options,
        keepExploration: loadSinkConfig({ WEBTRAIL_SINK_KEEP_EXPLORATION: 'true' }).keepExploration,
      }),
    ).toHaveLength(1);
    // A site that could not be done: no example, even under a filter that keeps everything.
    const keepAll = { ...options, filter: loadSinkConfig({ WEBTRAIL_SINK_FILTER: 'all' }).filter };
    const impossible = {
      ...v,
      trajectory: {
        ...v.trajectory,
        status: 'blocked' as const,
        notExecutable: { reason: 'captcha', detail: 'a CAPTCHA' },
      },
    };
    expect(examplesFor(v, keepAll)).toHaveLength(1);
    expect(examplesFor(impossible, keepAll)).toEqual([]);
  });
});
