// Token counts of a byte-level BPE tokenizer, remembered per pre-tokenizer piece. Such a tokenizer splits
// text into pieces (words with their leading space, numbers, runs of punctuation) and runs BPE on each
// piece alone, so a text's count is the sum of its pieces' counts; web text repeats its pieces so much that
// remembering them makes counting several times faster (the byte mapping and BPE are where the library
// spends its time), and the counts stay the library's own. A tokenizer built any other way is counted whole.

/** The parts of a lenML (transformers.js) tokenizer this reads; all are the library's own stages. */
export interface LenmlTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: { tokenizers?: Array<PreTokenizerStage> } | null;
  model(pieces: string[]): unknown[];
  added_tokens_splitter: { split(text: string): string[] };
  added_tokens_map: Map<string, { lstrip?: boolean; rstrip?: boolean }>;
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
}

interface PreTokenizerStage {
  config?: { type?: string; behavior?: string; invert?: boolean; use_regex?: boolean; add_prefix_space?: boolean };
  pre_tokenize_text(text: string, options?: unknown): string[];
}

/** Pieces remembered before the memory is started afresh (a few MB of short strings). */
const MAX_PIECES = 200_000;
/** Characters of whole texts remembered before that memory is started afresh (about 32 MB). */
const MAX_TEXT_CHARS = 16_000_000;

/**
 * A counter that remembers whole texts too: every example of a run carries the same system prompt, and
 * each step's prompt repeats the task, so most texts the sink counts it has counted before. A text's
 * count is a function of the text alone, so the remembered count is the counter's own.
 */
export function rememberingTexts(count: (text: string) => number): (text: string) => number {
  const texts = new Map<string, number>();
  let chars = 0;
  return (text: string) => {
    let n = texts.get(text);
    if (n === undefined) {
      n = count(text);
      if (chars + text.length > MAX_TEXT_CHARS) {
        texts.clear();
        chars = 0;
      }
      if (text.length <= MAX_TEXT_CHARS) {
        texts.set(text, n);
        chars += text.length;
      }
    }
    return n;
  };
}

/**
 * A counter equal to `tokenizer.encode(text).length`, faster; the plain count when the tokenizer is not
 * normalizer → Split (isolated) → ByteLevel (no regex of its own) → BPE, or has added tokens that strip.
 */
export function pieceCounter(tokenizer: LenmlTokenizer): (text: string) => number {
  const whole = (text: string) => (text ? tokenizer.encode(text, { add_special_tokens: false }).length : 0);
  const stages = tokenizer.pre_tokenizer?.tokenizers;
  const [split, byteLevel] = stages ?? [];
  const shaped =
    stages?.length === 2 &&
    split?.config?.type === 'Split' &&
    split.config.behavior === 'Isolated' &&
    split.config.invert === false &&
    byteLevel?.config?.type === 'ByteLevel' &&
    byteLevel.config.use_regex === false &&
    byteLevel.config.add_prefix_space === false &&
    !tokenizer.remove_space &&
    !tokenizer.do_lowercase_and_remove_accent &&
    [...tokenizer.added_tokens_map.values()].every((t) => !t.lstrip && !t.rstrip);
  if (!shaped || !split || !byteLevel) return whole;

  const pieces = new Map<string, number>();
  const countPiece = (piece: string): number => {
    let n = pieces.get(piece);
    if (n === undefined) {
      if (pieces.size >= MAX_PIECES) pieces.clear();
      n = tokenizer.model(byteLevel.pre_tokenize_text(piece)).length;
      pieces.set(piece, n);
    }
    return n;
  };
  return (text: string) => {
    if (!text) return 0;
    let total = 0;
    // As the library's _encode_text: added tokens split out first (one token each), then each section
    // normalized, split into pieces and each piece byte-mapped and run through BPE on its own.
    for (const section of tokenizer.added_tokens_splitter.split(text)) {
      if (section.length === 0) continue;
      if (tokenizer.added_tokens_map.has(section)) {
        total += 1;
        continue;
      }
      const normalized = tokenizer.normalizer ? tokenizer.normalizer(section) : section;
      for (const piece of split.pre_tokenize_text(normalized)) total += countPiece(piece);
    }
    return total;
  };
}
