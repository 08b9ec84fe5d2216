// `npm run train:check`: the training recipe (training/sft.py, TRL) run end to end on CPU on a webtrail
// dataset, with a tiny model built from a config and a tokenizer trained on the dataset itself (nothing
// downloaded from a model hub), in both forms: the prompt/completion Parquet that `webtrail export` writes,
// and the sink's own chat-form folder. It passes when the loss falls by half and only the agent's replies
// carry loss (not the page text). The training stack (torch with
// its CUDA libraries, ~6 GB) goes into .venv-train on first use, pinned in training/requirements-train.txt.
//
//   npm run train:check                  # the only dataset in WEBTRAIL_SINK_DATASETS_DIR (npm run demo makes one)
//   npm run train:check -- --data DIR    # a dataset folder or an export
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseDataset } from '../cli/index.ts';
import { exportDataset, loadDatasetConfig } from '../dataset/index.ts';
import { errorMessage, ROOT, UserInputError } from '../platform/index.ts';

const VENV = path.join(ROOT, '.venv-train');
const PYTHON = path.join(VENV, 'bin', 'python');
const REQUIREMENTS = path.join(ROOT, 'training', 'requirements-train.txt');
const STEPS = 60;

function say(line: string): void {
  process.stderr.write(`train:check: ${line}\n`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(
      `${path.basename(command)} ${args.slice(0, 2).join(' ')} failed (${result.status}):\n${result.stderr.split('\n').slice(-20).join('\n')}`,
    );
  return result.stdout;
}

/** Creates .venv-train, or brings it up to the pinned requirements. */
function ensureVenv(): void {
  const stamp = path.join(VENV, '.installed');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(REQUIREMENTS).mtimeMs) return;
  say(`installing the training stack into ${VENV} (torch, transformers, TRL; about 6 GB, a few minutes)…`);
  if (!existsSync(PYTHON)) run('python3', ['-m', 'venv', VENV]);
  run(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  writeFileSync(stamp, new Date().toISOString());
}

interface Trained {
  losses: number[];
  trained_token_share: number;
  steps: number;
  examples: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function train(data: string, label: string): { ok: boolean; line: string } {
  const started = Date.now();
  const output = mkdtempSync(path.join(tmpdir(), 'webtrail-sft-'));
  const stdout = run(
    PYTHON,
    [path.join(ROOT, 'training', 'sft.py'), '--data', data, '--tiny', '--output', output, '--max-steps', String(STEPS)],
    {
      ...process.env,
      HF_HOME: path.join(output, 'hf'),
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      TOKENIZERS_PARALLELISM: 'false',
      HF_HUB_DISABLE_TELEMETRY: '1',
    },
  );
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as Trained;
  const first = mean(result.losses.slice(0, 10));
  const last = mean(result.losses.slice(-10));
  const fell = result.losses.length >= 20 && last < first / 2;
  // The replies are a small part of each example; the page must not carry loss.
  const repliesOnly = result.trained_token_share < 0.5;
  return {
    ok: fell && repliesOnly,
    line: `${label}: ${result.examples} examples, ${result.steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s; mean loss of the first 10 steps ${first.toFixed(3)}, of the last 10 ${last.toFixed(3)} (${fell ? 'fell by more than half' : 'DID NOT fall by half'}); ${(result.trained_token_share * 100).toFixed(1)}% of tokens carry loss (${repliesOnly ? 'the replies' : 'NOT only the replies'})`,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { data: { type: 'string' } } });
  ensureVenv();
  const exported = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-train-')), 'export');
  const config = loadDatasetConfig();
  const from = values.data
    ? path.resolve(values.data)
    : chooseDataset(config.datasetsDir, undefined, 'npm run demo makes one, or name a dataset folder with --data');
  const summary = await exportDataset({
    from,
    to: exported,
    format: 'parquet',
    form: 'prompt-completion',
    rowsPerFile: 20_000,
    metadata: config.card,
  });
  say(`exported ${summary.examples} examples of ${from} to ${exported}`);
  const results = [train(exported, 'prompt/completion (Parquet export)'), train(from, "messages (the sink's folder)")];
  for (const r of results) console.log(r.line);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(errorMessage(error));
    process.exit(error instanceof UserInputError ? 2 : 1);
  },
);
