// The webtrail CLI as a user runs it, against the real broker.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/processes.ts';
import { spawnTs } from '../platform/spawnTs.ts';
import { startScriptedLlm } from '../sandbox/scriptedLlm.ts';

describe('webtrail submit and tap', () => {
  it('submits exactly the good, distinct sites and tap prints them decoded', async () => {
    const label = `test-${randomUUID().slice(0, 8)}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-'));
    const file = path.join(dir, 'sites.txt');
    writeFileSync(
      file,
      [
        '# sites for a test',
        '',
        `a-${label}.example.com`,
        `https://B-${label}.example.org/start?x=1`,
        'ftp://nope.example.com',
        'two words',
        `a-${label}.example.com`,
        `http://a-${label}.example.com/again`,
        `c-${label}.example.net  # comment`,
        '192.168.0.1',
      ].join('\n'),
    );

    const submitted = await runCli(['submit', file, '--source', label]);
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toContain('submitted 3 site(s)');
    expect(submitted.stderr.trim().split('\n')).toEqual([
      "line 5: skipped 'ftp://nope.example.com': only http(s) URLs or bare domains are accepted",
      "line 6: skipped 'two words': contains spaces: one domain or URL per line",
      `line 7: skipped 'a-${label}.example.com': duplicate of line 3`,
      `line 8: skipped 'http://a-${label}.example.com/again': duplicate of line 3`,
      "line 10: skipped '192.168.0.1': an IP address is not a site: give its domain",
    ]);

    const tapped = await runCli([
      'tap',
      'webtrail.sites',
      '--from-beginning',
      '--limit',
      '3',
      '--filter',
      `value.source=${label}`,
    ]);
    expect(tapped.code).toBe(0);
    const records = tapped.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; schema: string; value: { domain: string; url: string } });
    expect(records.map((r) => r.schema)).toEqual(['Site', 'Site', 'Site']);
    expect(records.map((r) => [r.key, r.value.url]).sort()).toEqual([
      [`a-${label}.example.com`, `https://a-${label}.example.com/`],
      [`b-${label}.example.org`, `https://b-${label}.example.org/start?x=1`],
      [`c-${label}.example.net`, `https://c-${label}.example.net/`],
    ]);

    // Standard input works too, and tap without --limit stops at the end of the topic.
    const again = await runCli(['submit', '-', '--source', `${label}-stdin`], { input: `d-${label}.example.com\n` });
    expect(again.code).toBe(0);
    const all = await runCli(['tap', 'webtrail.sites', '--from-beginning', '--filter', `value.source~^${label}`]);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toHaveLength(4);
  }, 60_000);

  it('says what is wrong in one line, without a stack trace, and exits non-zero', async () => {
    const noBroker = await runCli(['status'], { env: { KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(noBroker.code).toBe(2);
    expect(noBroker.stderr.trim()).toBe(
      "webtrail: cannot reach Kafka at 127.0.0.1:1: start it with 'npm run kafka:start' or set KAFKA_BROKERS",
    );

    const unknownTopic = await runCli(['tap', 'webtrail.nope', '--from-beginning']);
    expect(unknownTopic.code).toBe(2);
    expect(unknownTopic.stderr).toMatch(
      /^webtrail: unknown topic 'webtrail.nope'; existing webtrail topics: .*webtrail.sites/,
    );

    const missing = await runCli(['submit', '/no/such/file.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('webtrail: cannot read /no/such/file.txt: no such file');

    const nothingGood = await runCli(['submit', '-'], { input: 'not a site\n' });
    expect(nothingGood.code).toBe(2);
    expect(nothingGood.stderr).toContain('webtrail: no valid site in standard input');

    const badLimit = await runCli(['tap', 'webtrail.sites', '--limit', 'many']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('expected a positive integer');

    // A judge version names a dataset folder: '..' would write outside datasets/.
    const escaping = await runCli(['replay', '--judge-version', '..']);
    expect(escaping.code).toBe(2);
    expect(escaping.stderr.trim()).toBe(
      'webtrail: --judge-version: a judge version cannot be made of dots only (it would name a folder outside the datasets)',
    );

    // Bad lines are shown escaped and cut: a terminal escape stays visible text, a 10 MB line is not echoed.
    const hostile = await runCli(['submit', '-'], {
      input: `evil\u001b[2J.example.com\n${'x'.repeat(10_000_000)}.example.com\n`,
    });
    expect(hostile.code).toBe(2);
    const [escapeLine, longLine] = hostile.stderr.trim().split('\n');
    expect(escapeLine).toBe("line 1: skipped 'evil\\u001b[2J.example.com': not a valid domain or URL");
    // 10,000,000 x and '.example.com' are 10,000,012 characters; 80 are shown.
    expect(longLine).toBe(
      `line 2: skipped '${'x'.repeat(80)}… (9999932 more characters)': '${'x'.repeat(60)}…' is not a valid domain name`,
    );
    expect(hostile.stderr.length).toBeLessThan(2000);

    const badSource = await runCli(['submit', '-', '--source', '\u001b]0;owned\u0007'], { input: 'example.com\n' });
    expect(badSource.code).toBe(2);
    expect(badSource.stderr).toContain("argument '\\u001b]0;owned\\u0007' is invalid. expected a label of 1 to 100");
    expect(badSource.stderr).not.toContain('\u001b');

    const badUrl = await runCli(['observe', 'http://']);
    expect([badUrl.code, badUrl.stderr.trim()]).toEqual([2, 'webtrail: http://: not a valid URL']);
    const badLevel = await runCli(['observe', 'http://x.localhost'], { env: { LOG_LEVEL: 'verbose' } });
    expect([badLevel.code, badLevel.stderr.trim()]).toEqual([
      2,
      "webtrail: invalid configuration: LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got 'verbose')",
    ]);
    const hugeViewport = await runCli(['observe', 'http://x.localhost'], {
      env: { WEBTRAIL_BROWSER_VIEWPORT: '100000x100000' },
    });
    expect(hugeViewport.code).toBe(2);
    expect(hugeViewport.stderr.trim()).toBe(
      "webtrail: invalid configuration: WEBTRAIL_BROWSER_VIEWPORT: each side from 200 to 4096 pixels, e.g. 1280x800 (got '100000x100000')",
    );

    for (const result of [
      noBroker,
      unknownTopic,
      missing,
      nothingGood,
      escaping,
      hostile,
      badSource,
      badUrl,
      badLevel,
      hugeViewport,
    ])
      expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('says in one line what is wrong with a setting, a blob and a dashboard without a broker, and exits 2', async () => {
    const badPort = await runCli(['status'], { env: { WEBTRAIL_KAFKA_PORT: '70000' } });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr.trim()).toBe(
      "webtrail: invalid configuration: WEBTRAIL_KAFKA_PORT: a port from 1 to 65535 (got '70000')",
    );
    const noBlob = await runCli(['blob', 'file:///no/such/shot.jpg', '--out', '/dev/null']);
    expect(noBlob.code).toBe(2);
    expect(noBlob.stderr.trim()).toBe('webtrail: no blob at file:///no/such/shot.jpg: no such file');
    const noBroker = await runCli(['dashboard', '--port', '0'], { env: { KAFKA_BROKERS: '127.0.0.1:1' } });
    expect(noBroker.code).toBe(2);
    expect(noBroker.stderr.trim()).toBe(
      "webtrail: cannot reach Kafka at 127.0.0.1:1: start it with 'npm run kafka:start' or set KAFKA_BROKERS",
    );
  }, 120_000);

  it('a service stops at start on a setting nobody reads, naming the one meant; so does the dashboard', async () => {
    const misspelt = {
      WEBTRAIL_JUDGE_LLM_MODLE: 'big',
      OPENAI_API_BASE: 'http://127.0.0.1:1/v1',
      WEBTRAIL_ROLLOUT_LLM_CONCURRENCY: '4',
    };
    const judge = spawnTs('services/judge/main.ts', {
      env: { ...process.env, OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', OPENAI_MODEL: 'm', ...misspelt },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    judge.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => judge.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'webtrail judge: invalid configuration: OPENAI_API_BASE is not a setting webtrail reads; did you mean OPENAI_BASE_URL?; WEBTRAIL_JUDGE_LLM_MODLE is not a setting webtrail reads; did you mean WEBTRAIL_JUDGE_LLM_MODEL?; WEBTRAIL_ROLLOUT_LLM_CONCURRENCY is not a setting webtrail reads; did you mean WEBTRAIL_AGENT_LLM_CONCURRENCY? (every setting: README, Configuration)',
    );
    const dashboard = await runCli(['dashboard', '--port', '0'], { env: { WEBTRAIL_DASHBORD_PORT: '9000' } });
    expect([dashboard.code, dashboard.stderr.trim()]).toEqual([
      2,
      'webtrail: invalid configuration: WEBTRAIL_DASHBORD_PORT is not a setting webtrail reads; did you mean WEBTRAIL_DASHBOARD_PORT? (every setting: README, Configuration)',
    ]);
  }, 60_000);

  it("a service stops at start when the model's context, as the server reports it, cannot hold its prompts", async () => {
    // vLLM reports 1,500 tokens; the judge's reply alone is 1,024 and its prompt holds three 1,500-character pages.
    const vllm = await startScriptedLlm({
      serverLike: 'vllm',
      contextWindow: 1500,
      modelId: 'Qwen/Qwen2.5-7B-Instruct',
    });
    try {
      const judge = spawnTs('services/judge/main.ts', {
        env: {
          ...process.env,
          OPENAI_BASE_URL: vllm.url,
          OPENAI_MODEL: 'Qwen/Qwen2.5-7B-Instruct',
          WEBTRAIL_JUDGE_VERSION: 'context-check',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      judge.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => judge.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(
        new RegExp(
          `^webtrail judge: the judge model Qwen/Qwen2\\.5-7B-Instruct has a context of 1500 tokens \\(/v1/models max_model_len \\(vLLM, SGLang\\) at ${vllm.url.replace(/[.]/g, '\\.')}\\), but its prompts need at least \\d+ \\(about \\d+ of prompt and 1024 for the reply\\): start the server with a larger context \\(vLLM --max-model-len, SGLang --context-length\\), or lower WEBTRAIL_JUDGE_OBSERVATION_STEPS or WEBTRAIL_JUDGE_LLM_MAX_TOKENS$`,
        ),
      );
      expect(vllm.stats.calls).toEqual({});
    } finally {
      await vllm.close();
    }
  }, 60_000);

  it('status lists the topics with counts and the consumer groups with lag', async () => {
    const status = await runCli(['status', '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as {
      topics: Array<{ topic: string; messages: number }>;
      groups: unknown[];
    };
    expect(parsed.topics.find((t) => t.topic === 'webtrail.sites')?.messages).toBeGreaterThan(0);
    expect(Array.isArray(parsed.groups)).toBe(true);
  }, 30_000);
});
