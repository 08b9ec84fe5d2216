// The webtrail command line. Errors a user can cause print one line and exit non-zero, no stack trace.
// Each command loads its own modules when it runs: a long-running one (the dashboard) then holds only
// what it uses, and --help stays quick.
import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  createLogger,
  errorMessage,
  LOCAL_REGISTRY_PORT,
  printable,
  readBlob,
  refuseUnknownSettings,
  UserInputError,
} from '../platform/index.ts';
import { loadDashboardConfig, loadPrices, STAGES } from '../dashboard/index.ts';
import { DATASET_FORMS, EXPORT_FORMATS, type DatasetForm, type ExportFormat } from '../dataset/index.ts';
import type { ScriptedLlmCliOptions } from './scriptedLlm.ts';
import { formatTable } from './table.ts';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../schemas/index.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** An eval subcommand: each writes a JSON report (where: --out) and prints it with --json. */
function evalCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--out <file>', `where to write the JSON report (default: $WEBTRAIL_HOME/eval/${name}-<time>.json)`)
    .option('--json', 'print the report as JSON');
}

function scoreOption(value: string): number {
  const n = Number(value);
  if (!(value.trim() !== '' && n >= 0 && n <= 1)) throw new InvalidArgumentError('a score from 0 to 1, e.g. 0.5');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

function sourceLabel(value: string): string {
  if (!/^[\w.:/ -]{1,100}$/.test(value) || value.trim() === '')
    throw new InvalidArgumentError('expected a label of 1 to 100 letters, digits, . _ : / - or spaces');
  return value;
}

function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Writes to stdout honouring backpressure; a closed pipe (| head) ends quietly. */
function writeLine(line: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(`${line}\n`)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

export function buildProgram(): Command {
  const program = new Command('webtrail')
    .description('Turn a list of websites into training data for web agents, over Kafka.')
    .showHelpAfterError('(run with --help for usage)')
    // Commander quotes the offending argument: escape it like every other message.
    .configureOutput({ outputError: (text, write) => write(`${printable(text.trimEnd(), 1000)}\n`) })
    .exitOverride();

  program
    .command('submit')
    .description(
      'Submit sites (one domain or http(s) URL per line; # comments and blank lines allowed) to webtrail.sites',
    )
    .argument('<file>', "file with the list, or '-' for standard input")
    .option(
      '--source <label>',
      'label recorded on each site (letters, digits, . _ : / - and spaces; up to 100)',
      sourceLabel,
      'cli',
    )
    .option('--strict', 'submit nothing if any line is bad')
    .option('--again', 'screen and propose again sites this generator version has already screened (skipped otherwise)')
    .action(async (file: string, opts: { source: string; strict?: boolean; again?: boolean }) => {
      const { readInput, submitSites } = await import('./submit.ts');
      const text = await readInput(file);
      const interactive = process.stderr.isTTY;
      const summary = await submitSites(text, {
        source: opts.source,
        strict: opts.strict,
        again: opts.again,
        progress: (done, total) => {
          if (interactive && total > 1000) process.stderr.write(`\rsubmitted ${done}/${total}`);
        },
      });
      if (interactive && summary.sites.length > 1000) process.stderr.write('\n');
      const skipped = [...summary.bad, ...summary.duplicates, ...summary.suppressed].sort((a, b) => a.line - b.line);
      for (const p of skipped)
        process.stderr.write(`line ${p.line}: skipped '${printable(p.text, 80)}': ${printable(p.reason, 120)}\n`);
      if (summary.sites.length === 0)
        throw new UserInputError(
          `no valid site in ${file === '-' ? 'standard input' : file}${summary.suppressed.length ? ` (${summary.suppressed.length} on the suppression list)` : ''}`,
        );
      if (opts.strict && summary.bad.length > 0)
        throw new UserInputError(`${summary.bad.length} bad line(s); nothing submitted (--strict)`);
      console.log(
        `submitted ${summary.submitted} site(s) to webtrail.sites${opts.again ? ' (--again: screened again even if already screened)' : ''}; skipped ${summary.bad.length} bad line(s), ${summary.duplicates.length} duplicate(s) and ${summary.suppressed.length} site(s) on the suppression list`,
      );
      if (!opts.again)
        console.log(
          "sites this generator version has already screened are skipped by the generator ('webtrail stats' counts them; --again screens them again)",
        );
    });

  program
    .command('tap')
    .description('Print the decoded records of a topic as JSON lines, without touching any service consumer group')
    .argument('<topic>', 'e.g. webtrail.sites, webtrail.trajectories, webtrail.dlq.rollout')
    .option('--from-beginning', 'start at the oldest record (default: only new records)')
    .option('--follow', 'keep reading new records (default when not --from-beginning)')
    .option('--limit <n>', 'stop after n records', positiveInt)
    .option(
      '--filter <expr>',
      'keep records where path=value, path!=value or path~regex (repeatable), e.g. value.domain=shop.localhost',
      collect,
      [],
    )
    .option(
      '--save-blobs <dir>',
      'also fetch every blob a printed record refers to (screenshotRef, observationRef, promptRef…) into this folder',
    )
    .action(
      async (
        topic: string,
        opts: { fromBeginning?: boolean; follow?: boolean; limit?: number; filter: string[]; saveBlobs?: string },
      ) => {
        const { tap } = await import('./tap.ts');
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        process.stdout.on('error', () => controller.abort());
        const follow = opts.follow ?? !opts.fromBeginning;
        const result = await tap(topic, {
          fromBeginning: Boolean(opts.fromBeginning),
          follow,
          limit: opts.limit,
          filters: opts.filter,
          write: writeLine,
          signal: controller.signal,
          ...(opts.saveBlobs ? { saveBlobs: opts.saveBlobs } : {}),
        });
        if (opts.saveBlobs) process.stderr.write(`saved ${result.blobs} blob(s) to ${opts.saveBlobs}\n`);
      },
    );

  program
    .command('status')
    .description('Topics with message counts, consumer groups with lag')
    .option('--json', 'print JSON instead of tables')
    .action(async (opts: { json?: boolean }) => {
      const { clusterStatus } = await import('../bus/index.ts');
      const status = await clusterStatus();
      if (opts.json) return void console.log(JSON.stringify(status, null, 2));
      console.log(`Kafka ${status.brokers.join(',')}\n`);
      console.log(
        formatTable(status.topics.map((t) => ({ topic: t.topic, partitions: t.partitions, messages: t.messages }))),
      );
      console.log('');
      console.log(
        formatTable(
          status.groups.map((g) => ({
            group: g.group,
            topic: g.topic,
            state: g.state,
            members: g.members,
            committed: g.committed,
            lag: g.lag,
          })),
        ),
      );
    });

  program
    .command('stats')
    .description(
      'What the run has produced: counts per topic, success per judge version, outcome per site, steps, tokens and cost',
    )
    .option('--follow', 'keep reading and print a fresh report every --interval seconds until Ctrl-C')
    .option('--interval <s>', 'seconds between reports with --follow', positiveInt, 10)
    .option('--judge-version <v>', 'whose verdicts count as solved per site (default: the most recent)')
    .option(
      '--price-input <usd>',
      'USD per million prompt tokens, every stage (default: WEBTRAIL_PRICE_*)',
      nonNegativeNumber,
    )
    .option(
      '--price-output <usd>',
      'USD per million completion tokens, every stage (default: WEBTRAIL_PRICE_*)',
      nonNegativeNumber,
    )
    .option('--json', 'print the report as JSON')
    .action(
      async (opts: {
        follow?: boolean;
        interval: number;
        judgeVersion?: string;
        priceInput?: number;
        priceOutput?: number;
        json?: boolean;
      }) => {
        const { collectStats, formatStats } = await import('./stats.ts');
        const prices = loadPrices();
        for (const stage of STAGES) {
          if (opts.priceInput !== undefined) prices[stage].input = opts.priceInput;
          if (opts.priceOutput !== undefined) prices[stage].output = opts.priceOutput;
        }
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        const clear = process.stdout.isTTY && !opts.json ? '\x1b[2J\x1b[H' : '';
        await collectStats({
          prices,
          judgeVersion: opts.judgeVersion,
          follow: Boolean(opts.follow),
          intervalMs: opts.interval * 1000,
          signal: controller.signal,
          onReport: (report, final) => {
            if (opts.json) return void console.log(JSON.stringify(report));
            console.log(
              `${clear}${formatStats(report)}${final ? '' : `\n\n(${new Date().toISOString()}; following, Ctrl-C to stop)`}`,
            );
          },
        });
      },
    );

  program
    .command('observe')
    .description(
      'Print what the agent sees on pages: markdown with numbered elements (--json: one JSON line per input)',
    )
    .argument(
      '<inputs...>',
      'http(s) URLs or local HTML files (a local file is loaded with every outside request blocked)',
    )
    .option('--json', 'one JSON line per input, in input order: {url, title, text, elements, tokens}')
    .option('--screenshot <file>', 'save a JPEG screenshot (numbered when several inputs)')
    .option(
      '--store-screenshot',
      'store the screenshot in the blob store (WEBTRAIL_BLOB_URL: a folder or s3://) and print its URI',
    )
    .option('--max-tokens <n>', 'observation token budget', positiveInt)
    .action(
      async (
        inputs: string[],
        opts: { json?: boolean; screenshot?: string; storeScreenshot?: boolean; maxTokens?: number },
      ) => {
        const { observeInputs } = await import('./observe.ts');
        await observeInputs(
          inputs,
          { screenshot: opts.screenshot, storeScreenshot: opts.storeScreenshot, maxTokens: opts.maxTokens },
          async (page) => {
            if (opts.json) {
              await writeLine(
                JSON.stringify({
                  url: page.url,
                  title: page.title,
                  text: page.text,
                  elements: page.elements,
                  tokens: page.tokens,
                  ...(page.screenshotRef ? { screenshotRef: page.screenshotRef } : {}),
                  ...(page.error ? { error: page.error } : {}),
                }),
              );
            } else {
              if (inputs.length > 1) await writeLine(`===== ${page.input}`);
              if (page.error) process.stderr.write(`webtrail: ${page.input}: ${page.error}\n`);
              await writeLine(page.text);
              await writeLine(`\n(${page.elements.length} elements, ~${page.tokens} tokens)`);
              if (page.screenshotRef) await writeLine(`screenshot: ${page.screenshotRef}`);
            }
          },
        );
      },
    );

  program
    .command('replay')
    .description(
      'Re-judge every trajectory with a new judge version and its own consumer group; the sink writes its examples to a new dataset',
    )
    .requiredOption('--judge-version <v>', 'the new judge version, e.g. qwen72b@judge.v2 (names the dataset folder)')
    .option('--model <m>', 'judge model (default: WEBTRAIL_JUDGE_LLM_MODEL or OPENAI_MODEL)')
    .option('--follow', 'keep judging new trajectories instead of stopping once caught up')
    .option(
      '--refine',
      'let the refiner make follow-up tasks from the new verdicts (tasks that have one already get no second)',
    )
    .action(async (opts: { judgeVersion: string; model?: string; follow?: boolean; refine?: boolean }) => {
      const { replay } = await import('./replay.ts');
      const { datasetDirName } = await import('../dataset/index.ts');
      const interactive = process.stderr.isTTY;
      const result = await replay({ ...opts, progress: (line) => interactive && process.stderr.write(`\r${line}   `) });
      if (interactive) process.stderr.write('\n');
      if (result.exitCode !== 0) throw new Error(`the judge exited with ${result.exitCode}`);
      console.log(
        `re-judged ${result.judged} trajectories as ${opts.judgeVersion} (consumer group ${result.groupId}); the sink writes them to datasets/${datasetDirName(opts.judgeVersion)}`,
      );
    });

  program
    .command('export')
    .description(
      'Write a finished, deduplicated copy of a dataset, ready to publish: JSON lines or Parquet, chat or prompt/completion form, with its card',
    )
    .requiredOption('--to <dir>', 'the folder to create (must not exist, or be empty)')
    .option('--judge-version <v>', 'whose dataset (default: the only one in the datasets folder)')
    .option('--datasets <dir>', 'the datasets folder (default: WEBTRAIL_SINK_DATASETS_DIR or $WEBTRAIL_HOME/datasets)')
    .option(
      '--format <f>',
      `file format: ${EXPORT_FORMATS.join(' or ')}`,
      oneOf(EXPORT_FORMATS),
      'jsonl' as ExportFormat,
    )
    .option(
      '--form <f>',
      'messages (the chat) or prompt-completion (TRL puts the loss on the completion only)',
      oneOf(DATASET_FORMS),
      'messages' as DatasetForm,
    )
    .option(
      '--filter <expr>',
      "keep only examples whose scores pass this too: a preset (insta, insta-scripts, ...) or an expression such as 'success == 1'",
    )
    .option('--scrub-pii', 'replace emails, phone numbers and URL secrets with <EMAIL>, <PHONE>, <SECRET>')
    .option('--rows-per-file <n>', 'examples per data file', positiveInt, 20_000)
    .action(
      async (opts: {
        to: string;
        judgeVersion?: string;
        datasets?: string;
        format: ExportFormat;
        form: DatasetForm;
        filter?: string;
        scrubPii?: boolean;
        rowsPerFile: number;
      }) => {
        const { runExport } = await import('./export.ts');
        const interactive = process.stderr.isTTY;
        const summary = await runExport({
          ...opts,
          progress: (n) => interactive && process.stderr.write(`\rexported ${n} examples`),
        });
        if (interactive && summary.examples >= 1000) process.stderr.write('\n');
        console.log(
          `exported ${summary.examples} examples (${summary.trajectories} trajectories) of judge ${summary.judgeVersion} to ${opts.to}: ${summary.files.length} ${opts.format} file(s), ${(summary.bytes / 1024).toFixed(1)} KiB, ${opts.form} form`,
        );
        console.log(
          `left out: ${summary.duplicates} duplicate(s), ${summary.otherRuns} other run(s) of a trajectory, ${summary.filtered} by --filter`,
        );
        if (summary.openShards > 0)
          console.log(
            `not exported: ${summary.openShards} shard(s) a sink still has open in ${summary.from} (finished within WEBTRAIL_SINK_MAX_SHARD_AGE_MS; export again then)`,
          );
      },
    );

  program
    .command('view')
    .description(
      'Write one trajectory as a self-contained HTML page: every step with its screenshot, action and reply, and every verdict',
    )
    .argument('<trajectoryId>', 'as on webtrail.trajectories (webtrail tap webtrail.trajectories prints them)')
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--run <runId>', 'which run, when a redelivered rollout made several (default: the first)')
    .option(
      '--trace-url <url>',
      "a tracing UI's URL with {traceId} in it, linked from the page (default WEBTRAIL_TRACE_UI_URL)",
    )
    .action(async (trajectoryId: string, opts: { out: string; run?: string; traceUrl?: string }) => {
      const { viewTrajectory } = await import('./view.ts');
      const { traceUrl } = loadDashboardConfig(
        process.env,
        opts.traceUrl !== undefined ? { traceUrl: opts.traceUrl } : {},
      );
      const result = await viewTrajectory(trajectoryId, {
        out: opts.out,
        ...(opts.run ? { runId: opts.run } : {}),
        ...(traceUrl ? { traceUrl } : {}),
      });
      console.log(
        `wrote ${opts.out}: ${result.trajectory.steps.length} steps, ${result.screenshots} screenshot(s)${result.missing ? `, ${result.missing} unavailable` : ''}, ${result.verdicts} verdict(s)`,
      );
      if (result.otherRuns.length)
        console.log(
          `this trajectory has ${result.otherRuns.length} other run(s) (${result.otherRuns.join(', ')}); --run shows one`,
        );
    });

  program
    .command('dashboard')
    .description(
      'Serve the live dashboard: the pipeline (rates, lag, dead letters, sites, judges, cost), trajectories and sites you can filter, every step of a trajectory with its screenshot',
    )
    .option('--port <n>', 'port (0 picks a free one; default WEBTRAIL_DASHBOARD_PORT or 8790)')
    .option(
      '--host <address>',
      'address to listen on (default WEBTRAIL_DASHBOARD_HOST or 127.0.0.1; it has no login, so keep it private)',
    )
    .option(
      '--from <where>',
      "'beginning' reads all history (default WEBTRAIL_DASHBOARD_FROM or beginning), 'now' only what arrives from now on",
    )
    .option(
      '--trace-url <url>',
      "a tracing UI's URL with {traceId} in it, linked from every trajectory (default WEBTRAIL_TRACE_UI_URL)",
    )
    .action(async (opts: { port?: string; host?: string; from?: string; traceUrl?: string }) => {
      const { startDashboard } = await import('../dashboard/server.ts');
      refuseUnknownSettings(process.env);
      const config = loadDashboardConfig(process.env, opts);
      const dashboard = await startDashboard({
        ...config,
        requireBroker: true,
        prices: loadPrices(),
        log: createLogger('dashboard', process.env.LOG_LEVEL ?? 'warn'),
      });
      console.log(
        `webtrail dashboard: ${dashboard.url}/ (reading from ${config.from === 'beginning' ? 'the beginning of history' : 'now'}; Ctrl-C stops it)`,
      );
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
    });

  program
    .command('blob')
    .description(
      "Fetch a blob a record refers to (a step's screenshotRef), from the folder or the S3-compatible store that holds it",
    )
    .argument('<uri>', 'file:///… or s3://bucket/key, as records carry it')
    .option('--out <file>', 'write it to this file (default: standard output, when that is not a terminal)')
    .action(async (uri: string, opts: { out?: string }) => {
      if (!opts.out && process.stdout.isTTY)
        throw new UserInputError('a blob is binary: give --out FILE or redirect standard output');
      const bytes = await readBlob(uri);
      if (opts.out) {
        await writeFile(opts.out, bytes);
        console.error(`wrote ${bytes.length} bytes to ${opts.out}`);
      } else {
        await new Promise<void>((resolve, reject) =>
          process.stdout.write(bytes, (error) => (error ? reject(error) : resolve())),
        );
      }
    });

  program
    .command('sandbox')
    .description(
      'Serve the sandbox web (realistic sites with checkable tasks, an unsafe site, hostile pages) and print its URLs',
    )
    .option(
      '--port <n>',
      'port (0 picks a free one)',
      (v) => Number(v),
      Number(process.env.WEBTRAIL_SANDBOX_PORT ?? 8700),
    )
    .action(async (opts: { port: number }) => {
      const { serveSandbox } = await import('./sandbox.ts');
      await serveSandbox(opts.port, (line) => console.log(line));
    });

  const evaluation = program
    .command('eval')
    .description("The paper's measurements: how good a judge is, against ground truth");
  evalCommand(
    evaluation,
    'judge',
    "Each judge version's verdicts against ground-truth labels: accuracy, precision, recall, F1, Cohen's kappa, confusion, calibration",
  )
    .requiredOption(
      '--labels <file>',
      'JSON lines of {"trajectoryId": ..., "success": true|false}; npm run demo writes the sandbox checks\' as $WEBTRAIL_HOME/demo-labels.jsonl',
    )
    .option('--judge-version <v...>', 'only these judge versions (default: every version in the verdicts topic)')
    .option('--threshold <score>', 'a verdict counts as success at this score or above', scoreOption, 0.5)
    .action(
      async (opts: { labels: string; judgeVersion?: string[]; threshold: number; out?: string; json?: boolean }) => {
        const { evalJudge } = await import('./evalJudge.ts');
        await evalJudge(opts, (line) => console.log(line));
      },
    );

  evalCommand(
    evaluation,
    'tasks',
    'Feasibility of the proposed tasks: the share that at least one trajectory solved, by program check where labelled, by the judge otherwise',
  )
    .option(
      '--labels <file>',
      'program checks per trajectory: JSON lines of {"trajectoryId", "runId"?, "success"} (npm run demo writes $WEBTRAIL_HOME/demo-labels.jsonl)',
    )
    .option('--judge-version <v>', 'the judge that decides unlabelled tasks (default: the most recent)')
    .option('--threshold <score>', 'a verdict counts as success at this score or above', scoreOption, 0.5)
    .action(
      async (opts: { labels?: string; judgeVersion?: string; threshold: number; out?: string; json?: boolean }) => {
        const { evalTasks } = await import('./evalTasks.ts');
        await evalTasks(opts, (line) => console.log(line));
      },
    );

  evalCommand(
    evaluation,
    'mind2web',
    'The agent LLM on Mind2Web-format steps, offline: Element Accuracy, Operation F1, Step Success Rate and Success Rate, macro over tasks',
  )
    .requiredOption('--data <dir>', 'Mind2Web-format JSON or JSON lines with cleaned_html (e.g. ../shared/mind2web)')
    .option('--limit <n>', 'run only the first n steps', positiveInt)
    .action(async (opts: { data: string; limit?: number; out?: string; json?: boolean }) => {
      const { evalMind2Web } = await import('./evalMind2web.ts');
      await evalMind2Web(
        opts,
        (line) => console.log(line),
        (line) => process.stderr.write(`${line}\n`),
      );
    });

  evalCommand(
    evaluation,
    'screen',
    'The screening prompt over labelled domains through the configured LLM: accuracy, precision and recall of "unsafe", per category',
  )
    .option(
      '--domains <dir>',
      'category lists: harmful/*.txt and benign/*.txt, one domain per line (e.g. ../shared/domains)',
    )
    .option('--labels <file>', 'or JSON lines of {"domain": ..., "harmful": true|false, "category"?: ...}')
    .option(
      '--per-category <n>',
      'domains sampled from each list with --domains (0: all)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number, 0 for every domain');
        return n;
      },
      20,
    )
    .option(
      '--seed <n>',
      'which domains the sample takes',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n)) throw new InvalidArgumentError('a whole number');
        return n;
      },
      1,
    )
    .action(
      async (opts: {
        domains?: string;
        labels?: string;
        perCategory: number;
        seed: number;
        out?: string;
        json?: boolean;
      }) => {
        const { evalScreen } = await import('./evalScreen.ts');
        await evalScreen(
          opts,
          (line) => console.log(line),
          (line) => process.stderr.write(`${line}\n`),
        );
      },
    );

  program
    .command('schema-registry')
    .description(
      'Serve a schema registry (the Confluent REST API that serializers, Kafka Connect, ksqlDB, Flink and client libraries speak), kept in the topic webtrail.schema-registry: for a cluster with no registry of its own',
    )
    .option(
      '--port <n>',
      'port (0 picks a free one)',
      process.env.WEBTRAIL_SCHEMA_REGISTRY_PORT ?? String(LOCAL_REGISTRY_PORT),
    )
    .option(
      '--host <address>',
      'address to listen on (it has no login: keep it private)',
      process.env.WEBTRAIL_SCHEMA_REGISTRY_HOST ?? '127.0.0.1',
    )
    .option(
      '--compatibility <level>',
      'compatibility level of a subject that has none of its own, until PUT /config sets one',
      oneOf(COMPATIBILITY_LEVELS),
      'BACKWARD',
    )
    .action(async (opts: { port: string; host: string; compatibility: CompatibilityLevel }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw new UserInputError(`--port ${JSON.stringify(opts.port)}: a port number from 0 to 65535`);
      const { openKafkaSession } = await import('../bus/index.ts');
      const { ensureTopics } = await import('../bus/index.ts');
      const { startSchemaRegistry } = await import('../bus/index.ts');
      refuseUnknownSettings(process.env);
      const session = await openKafkaSession('webtrail-schema-registry');
      await ensureTopics(session.admin);
      const registry = await startSchemaRegistry(session.kafka, {
        host: opts.host,
        port,
        defaultLevel: opts.compatibility,
      });
      console.log(
        `webtrail schema registry: ${registry.url} (${registry.state.subjectNames().length} subjects; Ctrl-C stops it)`,
      );
      await new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await registry.close();
      await session.close();
    });

  program
    .command('scripted-llm')
    .description(
      'Serve the scripted OpenAI-compatible LLM that plays the sandbox tasks (tests, offline demo, benchmarks; never production)',
    )
    .option('--port <n>', 'port (0 picks a free one)', '8701')
    .option(
      '--agent-errors <rate>',
      'chance per agent action of a mistake (wrong element or value, early or wrong answer, giving up)',
      '0',
    )
    .option('--latency-ms <ms>', 'added to every reply, to model a real endpoint', '0')
    .option('--chaos <spec>', 'misbehave at random, e.g. 429=0.1,500=0.05,invalid_json=0.05,slow=0.01,truncated=0.02')
    .option('--seed <n>', "seed of the chaos and of the agent's mistakes", '42')
    .action(async (opts: ScriptedLlmCliOptions) => {
      const { serveScriptedLlm } = await import('./scriptedLlm.ts');
      await serveScriptedLlm(opts, (line) => console.log(line));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UserInputError) {
      console.error(`webtrail: ${printable(error.message, 1000)}`);
      return 2;
    }
    console.error(`webtrail: ${printable(errorMessage(error), 1000)}`);
    if (process.env.WEBTRAIL_DEBUG) console.error(error);
    return 1;
  }
}

main(process.argv).then((code) => process.exit(code));
