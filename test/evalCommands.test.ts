// webtrail eval screen and eval tasks from the command line, against the scripted LLM over HTTP; the
// expected figures are worked out by hand from the lists below.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedLlm, type ScriptedLlm } from '../sandbox/scriptedLlm.ts';
import type { ScreenEvalReport } from '../eval/screenEval.ts';
import { runCli } from './helpers/processes.ts';

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
    writeFileSync(path.join(domains, 'harmful', 'gambling.t.txt'), '# a test list\nbest-casino.com\npokerstars-fake.net\nquiet-garden.org\nnot a domain\n');
    writeFileSync(path.join(domains, 'benign', 'shopping.t.txt'), 'mugs-and-kettles.com\nbetterbooks.com\n');
    const out = path.join(dir, 'screen.json');
    const cli = await runCli(['eval', 'screen', '--domains', domains, '--per-category', '0', '--out', out], { env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' } });
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
    expect(asked.map((c) => /^Domain: (.+)$/m.exec(c.messages[1]!.content)![1]).sort()).toEqual(['best-casino.com', 'betterbooks.com', 'mugs-and-kettles.com', 'pokerstars-fake.net', 'quiet-garden.org']);
    expect(cli.stdout).toMatch(/harmful\/gambling\.t\s+3\s+2\s+66\.7%\s+recall/);
  });

  it('says what is wrong with its input', async () => {
    const neither = await runCli(['eval', 'screen'], { env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' } });
    expect([neither.code, neither.stderr.trim()]).toEqual([2, 'webtrail: give either --labels FILE or --domains DIR (e.g. ../shared/domains)']);
    const labels = path.join(dir, 'bad.jsonl');
    writeFileSync(labels, '{"domain": "ok.com", "harmful": false}\n{"domain": "not a domain", "harmful": true}\n');
    const bad = await runCli(['eval', 'screen', '--labels', labels], { env: { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' } });
    expect([bad.code, bad.stderr.trim()]).toEqual([2, `webtrail: --labels ${labels}: line 2: expected {"domain": string, "harmful": true|false, "category"?: string}`]);
  });
});
