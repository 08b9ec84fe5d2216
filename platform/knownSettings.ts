// Settings nobody reads are mistakes: WEBTRAIL_JUDGE_LLM_MODLE or OPENAI_API_BASE would be ignored and the
// run would go on with a default the user meant to change. Every WEBTRAIL_* and OPENAI_* variable must be
// one webtrail (or the openai library) reads; anything else stops a service, with the nearest known name.
import { closest } from 'fastest-levenshtein';
import { UserInputError } from './errors.ts';
import { KNOWN_SETTINGS } from './settingNames.ts';
import type { Env } from './config.ts';

const FAMILY = /^(WEBTRAIL|OPENAI)_/;
/** A stage's LLM settings, by their suffix, as the config schema declares them (not a second list). */
const LLM_SETTINGS = KNOWN_SETTINGS.flatMap((name) => /^WEBTRAIL_GENERATOR_LLM_(.+)$/.exec(name)?.[1] ?? []);

/**
 * The right name of an LLM setting under a name that looks right (WEBTRAIL_JUDGE_MODEL,
 * WEBTRAIL_ROLLOUT_LLM_MODEL: the agent's settings are WEBTRAIL_AGENT_LLM_*), else null.
 */
export function misnamedLlmSetting(name: string): string | null {
  const m = /^WEBTRAIL_(GENERATOR|AGENT|ROLLOUT|JUDGE|REFINER)_(LLM_)?([A-Z_]+)$/.exec(name);
  if (!m || !LLM_SETTINGS.includes(m[3]!) || (m[1] !== 'ROLLOUT' && m[2])) return null;
  // WEBTRAIL_<SERVICE>_CONCURRENCY is each service's own (its in-flight messages), not an LLM setting.
  if (m[3] === 'CONCURRENCY' && !m[2]) return null;
  return `WEBTRAIL_${m[1] === 'ROLLOUT' ? 'AGENT' : m[1]}_LLM_${m[3]}`;
}

/** Names other tools use for settings webtrail has under another name. */
const ALIASES: Record<string, string> = {
  OPENAI_API_BASE: 'OPENAI_BASE_URL',
  OPENAI_API_BASE_URL: 'OPENAI_BASE_URL',
  OPENAI_API_HOST: 'OPENAI_BASE_URL',
  OPENAI_BASE: 'OPENAI_BASE_URL',
  OPENAI_ENDPOINT: 'OPENAI_BASE_URL',
  OPENAI_ORGANIZATION: 'OPENAI_ORG_ID',
  OPENAI_MODEL_NAME: 'OPENAI_MODEL',
  OPENAI_KEY: 'OPENAI_API_KEY',
};

export interface UnknownSetting {
  name: string;
  suggestion: string;
}

/** WEBTRAIL_* and OPENAI_* variables no part of webtrail reads, each with the known name nearest to it. */
export function unknownSettings(env: Env, known: readonly string[] = KNOWN_SETTINGS): UnknownSetting[] {
  const knownSet = new Set(known);
  // A variable an *_API_KEY_VAR setting names holds a key: it is read.
  for (const [name, value] of Object.entries(env)) if (name.endsWith('_API_KEY_VAR') && value) knownSet.add(value);
  return Object.keys(env)
    .filter((name) => FAMILY.test(name) && !knownSet.has(name))
    .sort()
    .map((name) => ({
      name,
      suggestion:
        ALIASES[name] ??
        misnamedLlmSetting(name) ??
        closest(
          name,
          known.filter((k) => k.split('_')[0] === name.split('_')[0]),
        ),
    }));
}

/** Stops with one line per unknown setting and its nearest known name. */
export function refuseUnknownSettings(env: Env = process.env): void {
  const unknown = unknownSettings(env);
  if (unknown.length === 0) return;
  throw new UserInputError(
    `invalid configuration: ${unknown.map((u) => `${u.name} is not a setting webtrail reads; did you mean ${u.suggestion}?`).join('; ')} (every setting: README, Configuration)`,
  );
}
