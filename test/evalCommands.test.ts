// webtrail eval screen and eval tasks from the command line, against the scripted LLM over HTTP; the
// expected figures are worked out by hand from the lists below.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedLlm, type ScriptedLlm } from '../sandbox/scriptedLlm.ts';
import type { ScreenEvalReport } from '../eval/screenEval.ts';
import { runCli } from './helpers/processes.ts';
import { exportSandboxMind2Web } from '../scripts/sandboxMind2web.ts';

let llm: ScriptedLlm;
const dir = mkdtempSync(path.join(tmpdir(), 'eval-'));

beforeAll(async () => {
  llm = await startScriptedLlm({ record: true });
});

afterAll(async () => {
  await llm?.close();
});

describe('webtrail eval screen', () => {
  it("measures the screen as a classifier of unsafe sites, per category, from the LLM's answers", async () => {
    const domains = path.join(dir, 'domains');
    mkdirSync(path.join(domains, 'harmful'), { recursive: true });
    mkdirSync(path.join(domains, 'benign'), { recursive: true });
    // The scripted screen goes by words in the address: it catches casino and poker, misses the quiet
    // one, and takes "betterbooks" (bet) for gambling.
    writeFileSync(
      path.join(domains, 'harmful', 'gambling.t.txt'),
      '# a test list\nbest-casino.com\npokerstars-fake.net\nquiet-garden.org\nnot a domain\n',
    );
    writeFileSync(path.join(domains, 'benign', 'shopping.t.txt'), 'mugs-and-kettles.com\nbetterbooks.com\n');
    const out = path.join(dir, 'screen.json');
    const cli = await runCli(['eval', 'screen', '--domains', domains, '--per-category', '0', '--out', out], {
      env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' },
    });
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScreenEvalReport;
    // TP 2 (casino, poker), FN 1 (quiet-garden), FP 1 (betterbooks), TN 1 (mugs).
    expect(report.metrics.confusion).toEqual({ truePositive: 2, falsePositive: 1, falseNegative: 1, trueNegative: 1 });
    expect(report.metrics.accuracy).toBeCloseTo(0.6, 10);
    expect(report.metrics.precision).toBeCloseTo(2 / 3, 10);
    expect(report.metrics.recall).toBeCloseTo(2 / 3, 10);
    expect(report.categories).toEqual([
      { category: 'benign/shopping.t', harmful: false, screened: 2, flaggedUnsafe: 1, share: 0.5 },
      { category: 'harmful/gambling.t', harmful: true, screened: 3, flaggedUnsafe: 2, share: 2 / 3 },
    ]);
    // What the LLM was asked: the screening prompt with the address and no page, once per domain.
    const asked = llm.received.filter((c) => c.messages[0]!.content.startsWith('You screen'));
    expect(asked.map((c) => /^Domain: (.+)$/m.exec(c.messages[1]!.content)![1]).sort()).toEqual([
      'best-casino.com',
      'betterbooks.com',
      'mugs-and-kettles.com',
      'pokerstars-fake.net',
      'quiet-garden.org',
    ]);
    expect(cli.stdout).toMatch(/harmful\/gambling\.t\s+3\s+2\s+66\.7%\s+recall/);
  });

  it('says what is wrong with its input', async () => {
    const neither = await runCli(['eval', 'screen'], { env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' } });
    expect([neither.code, neither.stderr.trim()]).toEqual([
      2,
      'webtrail: give either --labels FILE or --domains DIR (e.g. ../shared/domains)',
    ]);
    const labels = path.join(dir, 'bad.jsonl');
    writeFileSync(labels, '{"domain": "ok.com", "harmful": false}\n{"domain": "not a domain", "harmful": true}\n');
    const bad = await runCli(['eval', 'screen', '--labels', labels], {
      env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' },
    });
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      `webtrail: --labels ${labels}: line 2: expected {"domain": string, "harmful": true|false, "category"?: string}`,
    ]);
  });
});

describe('webtrail eval mind2web', () => {
  it('observes each saved page, maps the chosen element to its backend_node_id and scores the steps as Mind2Web does', async () => {
    // A stand-in agent over the real protocol: first step, type (one word off) into the search box;
    // later steps, click the Search button. It finds both by their lines in the observation.
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const user = (JSON.parse(body) as { messages: Array<{ role: string; content: string }> }).messages.find(
          (m) => m.role === 'user',
        )!.content;
        const first = user.includes('Recent steps:\n(none yet)');
        const id = (pattern: RegExp) => Number(pattern.exec(user)![1]);
        const action = first
          ? {
              kind: 'type',
              elementId: id(/^\[(\d+)\] textbox "Search terms"/m),
              value: 'wedding photographers',
              submit: false,
            }
          : { kind: 'click', elementId: id(/^\[(\d+)\] button "Search"/m), value: null, submit: false };
        const content = JSON.stringify({ thought: 'next', action });
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'stand-in',
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const data = path.join(dir, 'mind2web');
      mkdirSync(data, { recursive: true });
      const html =
        '<html><body><h1>Find a pro</h1><input backend_node_id="12" aria-label="Search terms"><button backend_node_id="8635" type="submit">Search</button><a backend_node_id="20" href="#help">Help</a></body></html>';
      const record = (
        uid: string,
        previous: string[],
        op: string,
        value: string,
        gold: string,
        page: string | undefined,
      ) =>
        JSON.stringify({
          annotation_id: 'task-1',
          action_uid: uid,
          website: 'example',
          confirmed_task: 'Find a wedding photographer',
          previous_actions: previous,
          operation: { op, original_op: op, value },
          pos_candidates: [{ backend_node_id: gold, tag: 'x' }],
          ...(page === undefined ? {} : { cleaned_html: page }),
        });
      writeFileSync(
        path.join(data, 'steps.jsonl'),
        [
          record('a', [], 'TYPE', 'wedding photographer', '12', html),
          record('b', ['[textbox]  Search terms -> TYPE: wedding photographer'], 'CLICK', '', '8635', html),
          record('c', [], 'CLICK', '', '1', undefined),
        ].join('\n'),
      );
      const out = path.join(dir, 'mind2web.json');
      const cli = await runCli(['eval', 'mind2web', '--data', data, '--out', out], {
        env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_MODEL: 'stand-in' },
        timeoutMs: 120_000,
      });
      expect(cli.code, cli.stderr).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as {
        metrics: Record<string, number>;
        stepsWithoutPage: number;
        steps: Array<{ predictedElement: string | null }>;
      };
      expect(report.steps.map((s) => s.predictedElement)).toEqual(['12', '8635']);
      // Step a: right element, "type wedding photographers" against "type wedding photographer": F1 2/3.
      // Step b: right element and operation. One task: element 1, F1 (2/3 + 1) / 2, step SR 1/2, SR 0.
      expect(report.metrics.elementAccuracy).toBe(1);
      expect(report.metrics.operationF1).toBeCloseTo((2 / 3 + 1) / 2, 10);
      expect(report.metrics.stepSuccessRate).toBe(0.5);
      expect(report.metrics.successRate).toBe(0);
      expect(report.stepsWithoutPage).toBe(1);
    } finally {
      server.close();
    }
  }, 120_000);
});

describe('the sandbox as Mind2Web-format data', () => {
  it('exports each planned action with its page and gold element, which eval mind2web scores for an agent that follows the plans', async () => {
    // The library: its subject task opens a collapsed group first, which is a previous action, not a step.
    const file = path.join(dir, 'sandbox-library.jsonl');
    const exported = await exportSandboxMind2Web(file, 'library');
    const records = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            action_uid: string;
            operation: { op: string };
            pos_candidates: Array<{ backend_node_id: string }>;
            cleaned_html: string;
          },
      );
    expect(records).toHaveLength(exported.steps);
    expect(exported.tasks).toBe(11);
    const ecology = records.find((r) => r.action_uid.startsWith('sandbox-library-subject-ecology-')) as unknown as
      { previous_actions: string[] } | undefined;
    expect(ecology?.previous_actions).toEqual(['[group]  Browse by subject -> CLICK']);
    // Every gold element is on its saved page, which carries no script.
    for (const r of records) {
      expect(r.cleaned_html).toContain(`backend_node_id="${r.pos_candidates[0]!.backend_node_id}"`);
      expect(r.cleaned_html).not.toMatch(/<script/i);
    }
    const out = path.join(dir, 'sandbox-m2w.json');
    const cli = await runCli(['eval', 'mind2web', '--data', file, '--out', out], {
      env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' },
      timeoutMs: 180_000,
    });
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { metrics: { steps: number; stepSuccessRate: number } };
    expect(report.metrics).toMatchObject({ steps: records.length, stepSuccessRate: 1 });
  }, 240_000);
});
