// npm run eval:pages -- --corpus ../shared/webpages [--out bench/eval-pages.json] [--max-tokens N] [--limit N] [--source NAME] [--tokenizer qwen2_5]
// Observes every saved page of the corpus (served on 127.0.0.1, every outside request blocked, <base href>
// and meta refresh neutralised) and reports speed, size in real tokens (and pages over the budget, which
// must be none) and recall against the corpus' labels, per source, listing every miss.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BrowserPool,
  type BrowserSession,
  decodeHtml,
  loadBrowserConfig,
  observeSnapshot,
  serveDirectory,
} from '../browser/index.ts';
import { createLogger, loadTokenizer, percentile } from '../platform/index.ts';

interface ManifestEntry {
  source: string;
  file: string;
  url: string;
}
interface FormAnnotation {
  visible_html_fields: Array<Record<string, string>>;
}

const { values: args } = parseArgs({
  options: {
    corpus: { type: 'string' },
    out: { type: 'string', default: 'bench/eval-pages.json' },
    'max-tokens': { type: 'string' },
    limit: { type: 'string' },
    source: { type: 'string' },
    tokenizer: { type: 'string' },
  },
});
if (!args.corpus) {
  console.error(
    'usage: npm run eval:pages -- --corpus ../shared/webpages [--out FILE] [--max-tokens N] [--limit N] [--source formasaurus|trafilatura-eval|autopager|miniwob-flight] [--tokenizer qwen2_5]',
  );
  process.exit(2);
}
const corpus = path.resolve(args.corpus);
// The budget counts in this tokenizer; the report measures with it too.
const { config, tokenizer } = (() => {
  try {
    const loaded = loadBrowserConfig({
      ...process.env,
      ...(args.tokenizer ? { WEBTRAIL_TOKENIZER: args.tokenizer } : {}),
    });
    return { config: loaded, tokenizer: loadTokenizer(loaded.tokenizer) };
  } catch (error) {
    console.error(`eval:pages: ${(error as Error).message}`);
    process.exit(2);
  }
})();
for (const [flag, value] of [
  ['--max-tokens', args['max-tokens']],
  ['--limit', args.limit],
] as const) {
  if (value !== undefined && !(Number.isInteger(Number(value)) && Number(value) > 0)) {
    console.error(`eval:pages: ${flag} takes a whole number above 0, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path.join(corpus, file), 'utf8')) as T;
  } catch (error) {
    console.error(`eval:pages: cannot read ${path.join(corpus, file)}: ${(error as Error).message}`);
    process.exit(2);
  }
}

const manifest = (
  await readFile(path.join(corpus, 'manifest.jsonl'), 'utf8').catch(() => {
    console.error(`eval:pages: ${corpus} has no manifest.jsonl: is it the webpages corpus?`);
    process.exit(2);
  })
)
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as ManifestEntry);
const forms = await readJson<Record<string, FormAnnotation>>('formasaurus/annotations.json');
const snippets = await readJson<Record<string, { file: string; with: string[] }>>(
  'trafilatura-eval/evaldata-subset.json',
);
const pagination = (await readFile(path.join(corpus, 'autopager/pagination-labels.csv'), 'utf8'))
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const cells = line
      .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
      .map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    return { file: `${cells[0]}.html`, next: cells[5] ?? '' };
  });
const nextByFile = new Map(pagination.filter((p) => p.next).map((p) => [p.file, p.next]));
const snippetsByFile = new Map(Object.values(snippets).map((s) => [s.file, s.with]));

const maxTokens = args['max-tokens'] ? Number(args['max-tokens']) : config.maxObservationTokens;
const pool = new BrowserPool(config, createLogger('eval-pages', 'fatal'));
const server = await serveDirectory(corpus);

/** Each page observed: the figures below are all read from these. */
const observed: Array<{ source: string; file: string; ms: number; tokens: number; htmlTokens: number }> = [];
let fieldsTotal = 0;
let fieldsFound = 0;
let nextTotal = 0;
let nextFound = 0;
let snippetTotal = 0;
let snippetFound = 0;
const missedFields: Array<{ file: string; name: string }> = [];
const missedNext: Array<{ file: string; selector: string; why: string }> = [];
const missedSnippets: Array<{ file: string; snippet: string }> = [];
const failed: Array<{ file: string; error: string }> = [];
const withoutScripts: string[] = [];
const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

const sources = [...new Set(manifest.map((e) => e.source))];
if (args.source && !sources.includes(args.source)) {
  console.error(`eval:pages: no source ${JSON.stringify(args.source)} in the corpus; it has ${sources.join(', ')}`);
  process.exit(2);
}
const entries = manifest
  .filter((e) => !args.source || e.source === args.source)
  .slice(0, args.limit ? Number(args.limit) : undefined);
let done = 0;
for (const entry of entries) {
  const file = entry.file.replace(/^pages\//, '');
  const name = path.basename(file);
  let session: BrowserSession | undefined;
  try {
    const opened = await observeSnapshot(pool, server.urlFor(path.join(corpus, file)), server.host, maxTokens);
    session = opened.session;
    if (!opened.scripts) withoutScripts.push(name);
    // Timed separately from loading: what one observation of a loaded page costs.
    const started = performance.now();
    const observation = await session.observe(maxTokens);
    const ms = performance.now() - started;
    // Counted again here, apart from the budget's own count: the report does not take the renderer's word.
    observed.push({
      source: entry.source,
      file: name,
      ms,
      tokens: tokenizer.count(observation.text),
      htmlTokens: tokenizer.count(decodeHtml(await readFile(path.join(corpus, file)))),
    });
    const shownNames = new Set(observation.elements.map((e) => e.htmlName).filter(Boolean));
    const shownIds = new Set(observation.elements.map((e) => e.id));

    const annotation = entry.source === 'formasaurus' ? forms[name] : undefined;
    for (const fields of annotation?.visible_html_fields ?? []) {
      for (const field of Object.keys(fields)) {
        fieldsTotal += 1;
        if (shownNames.has(field)) fieldsFound += 1;
        else missedFields.push({ file: name, name: field });
      }
    }
    const selector = entry.source === 'autopager' ? nextByFile.get(name) : undefined;
    if (selector) {
      nextTotal += 1;
      const page = await session.page();
      // The labelled element, or the link inside / around it, must carry an id the agent was shown.
      const id = await page.evaluate((sel) => {
        const el = document.querySelector(sel);
        if (!el) return 'no element matches the selector';
        const marked = el.closest('[data-wt-id]') ?? el.querySelector('[data-wt-id]');
        return marked ? Number(marked.getAttribute('data-wt-id')) : 'the element has no id (not seen as interactive)';
      }, selector);
      if (typeof id === 'number' && shownIds.has(id)) nextFound += 1;
      else
        missedNext.push({
          file: name,
          selector,
          why: typeof id === 'number' ? 'not shown (left out for the budget, or inside a collapsed group)' : id,
        });
    }
    const wanted = entry.source === 'trafilatura-eval' ? snippetsByFile.get(name) : undefined;
    const text = norm(observation.text);
    for (const snippet of wanted ?? []) {
      snippetTotal += 1;
      if (text.includes(norm(snippet))) snippetFound += 1;
      else missedSnippets.push({ file: name, snippet });
    }
  } catch (error) {
    failed.push({ file, error: (error as Error).message.split('\n')[0]! });
  } finally {
    await session?.close();
  }
  done += 1;
  if (process.stderr.isTTY) process.stderr.write(`\robserved ${done}/${entries.length}`);
}
if (process.stderr.isTTY) process.stderr.write('\n');
await pool.close();
await server.close();

const observeMs = observed.map((o) => o.ms);
const tokens = observed.map((o) => o.tokens);
const overBudget = observed.filter((o) => o.tokens > maxTokens).map((o) => ({ file: o.file, tokens: o.tokens }));
const bySource = new Map<string, typeof observed>();
for (const o of observed) (bySource.get(o.source) ?? bySource.set(o.source, []).get(o.source)!).push(o);
const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 10000) / 100 : null);
const report = {
  corpus,
  maxTokens,
  tokenizer: tokenizer.family,
  pages: entries.length,
  observed: observeMs.length,
  failed,
  observed_without_scripts: withoutScripts,
  observe_ms: { p50: percentile(observeMs, 50), p95: percentile(observeMs, 95) },
  tokens: {
    p50: percentile(tokens, 50),
    p95: percentile(tokens, 95),
    max: Math.max(0, ...tokens),
    over_budget: overBudget,
  },
  html_tokens_p50: percentile(
    observed.map((o) => o.htmlTokens),
    50,
  ),
  by_source: Object.fromEntries(
    [...bySource].map(([source, pages]) => [
      source,
      {
        pages: pages.length,
        tokens_p50: percentile(
          pages.map((p) => p.tokens),
          50,
        ),
        observe_ms_p50: percentile(
          pages.map((p) => p.ms),
          50,
        ),
      },
    ]),
  ),
  form_field_recall_percent: ratio(fieldsFound, fieldsTotal),
  form_fields: { found: fieldsFound, total: fieldsTotal, missed: missedFields },
  next_link_recall_percent: ratio(nextFound, nextTotal),
  next_links: { found: nextFound, total: nextTotal, missed: missedNext },
  snippet_share_percent: ratio(snippetFound, snippetTotal),
  snippets: { found: snippetFound, total: snippetTotal, missed: missedSnippets },
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
};
await writeFile(args.out!, `${JSON.stringify(report, null, 2)}\n`);
const recall = (found: number, total: number) => (total ? `${ratio(found, total)}% (${found}/${total})` : '—');
console.log(
  `pages observed        ${report.observed}/${report.pages}${failed.length ? ` (${failed.length} failed: ${failed.map((f) => f.file).join(', ')})` : ''}`,
);
console.log(
  `without scripts       ${withoutScripts.length} pages (their scripts could not all run here: a script file did not load, or the scripts tried to leave the page)`,
);
console.log(
  `observation time      p50 ${report.observe_ms.p50.toFixed(0)} ms, p95 ${report.observe_ms.p95.toFixed(0)} ms`,
);
console.log(
  `tokens (${tokenizer.family})     p50 ${report.tokens.p50}, p95 ${report.tokens.p95}, max ${report.tokens.max} of a budget of ${maxTokens}; over the budget: ${overBudget.length} pages (raw HTML p50 ${report.html_tokens_p50})`,
);
console.log(`form-field recall     ${recall(fieldsFound, fieldsTotal)}`);
console.log(`NEXT-link recall      ${recall(nextFound, nextTotal)}`);
console.log(`must-contain snippets ${recall(snippetFound, snippetTotal)}`);
console.log('by source:');
for (const [source, s] of Object.entries(report.by_source))
  console.log(
    `  ${source.padEnd(18)} ${String(s.pages).padStart(3)} pages, tokens p50 ${s.tokens_p50}, observation p50 ${s.observe_ms_p50.toFixed(0)} ms`,
  );
const misses = [
  ...overBudget.map((o) => `over the budget: ${o.file} (${o.tokens} tokens)`),
  ...missedFields.map((m) => `form field not shown: ${m.file} name=${m.name}`),
  ...missedNext.map((m) => `NEXT link not shown: ${m.file} ${m.selector} (${m.why})`),
  ...missedSnippets.map((m) => `snippet not in the observation: ${m.file} ${JSON.stringify(m.snippet)}`),
];
if (misses.length) console.log(`misses:\n${misses.map((m) => `  ${m}`).join('\n')}`);
console.log(`report: ${args.out}`);
