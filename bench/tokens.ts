// Token counting over the saved pages (../shared/webpages): what the sink pays for each example's
// `tokens`. The library's own encode against webtrail's counter (platform/pieceCounter.ts, which
// remembers pieces and whole texts), page by page; the counts must agree on every page.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_TOKENIZER, libraryTokenizer, loadTokenizer } from '../platform/index.ts';

export interface TokenFigures {
  pages: number;
  chars: number;
  tokens: number;
  /** Pages whose count differs from the library's encode (must be 0). */
  mismatches: number;
  library_chars_per_s: number;
  webtrail_chars_per_s: number;
  /** The pages again, each a new text (a line added): what a long run sees once its pieces are known. */
  webtrail_warm_chars_per_s: number;
  /** The same texts once more: what a repeated text (a run's system prompt) costs. */
  webtrail_repeat_chars_per_s: number;
}

export function benchTokens(options: { corpus: string; quick: boolean; say(line: string): void }): TokenFigures {
  const manifest = readFileSync(path.join(options.corpus, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { file: string });
  const pages = manifest
    .slice(0, options.quick ? 40 : undefined)
    .map((m) => readFileSync(path.join(options.corpus, m.file.replace(/^pages\//, '')), 'utf8'));
  options.say(`tokens: ${pages.length} saved pages, the library's encode against webtrail's counter`);
  const library = libraryTokenizer(DEFAULT_TOKENIZER);
  const count = loadTokenizer(DEFAULT_TOKENIZER).count;
  let libraryMs = 0;
  let webtrailMs = 0;
  let mismatches = 0;
  let tokens = 0;
  const counts: number[] = [];
  for (const page of pages) {
    const a = performance.now();
    const expected = library.encode(page, { add_special_tokens: false }).length;
    const b = performance.now();
    const got = count(page);
    webtrailMs += performance.now() - b;
    libraryMs += b - a;
    tokens += expected;
    counts.push(expected);
    if (got !== expected) mismatches += 1;
  }
  const again = pages.map((page) => `${page}\n`);
  const warm = performance.now();
  for (const page of again) count(page);
  const warmMs = performance.now() - warm;
  const repeat = performance.now();
  const repeated = pages.map((page) => count(page));
  const repeatMs = performance.now() - repeat;
  mismatches += repeated.filter((n, i) => n !== counts[i]).length;
  const chars = pages.reduce((n, p) => n + p.length, 0);
  const perS = (ms: number) => Math.round(chars / (ms / 1000));
  return {
    pages: pages.length,
    chars,
    tokens,
    mismatches,
    library_chars_per_s: perS(libraryMs),
    webtrail_chars_per_s: perS(webtrailMs),
    webtrail_warm_chars_per_s: perS(warmMs),
    webtrail_repeat_chars_per_s: perS(repeatMs),
  };
}
