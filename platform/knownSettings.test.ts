import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settingNamesSource } from '../scripts/genSettings.ts';
import { refuseUnknownSettings, unknownSettings } from './knownSettings.ts';
import { KNOWN_SETTINGS } from './settingNames.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory())
      return ['node_modules', '.webtrail', 'test-output'].includes(name) ? [] : sources(file);
    return /\.(ts|js|sh)$/.test(name) && !/\.test\.ts$/.test(name) ? [file] : [];
  });
}

describe('settings no part of webtrail reads', () => {
  it("are refused with the name meant: a typo, a stage under the wrong name, another tool's name", () => {
    // The three the issue found accepted and ignored; the right names by hand.
    expect(
      unknownSettings({
        WEBTRAIL_JUDGE_LLM_MODLE: 'big',
        WEBTRAIL_ROLLOUT_LLM_CONCURRENCY: '4',
        OPENAI_API_BASE: 'http://127.0.0.1:8000/v1',
        WEBTRAIL_JUDGE_LLM_MODEL: 'big',
      }),
    ).toEqual([
      { name: 'OPENAI_API_BASE', suggestion: 'OPENAI_BASE_URL' },
      { name: 'WEBTRAIL_JUDGE_LLM_MODLE', suggestion: 'WEBTRAIL_JUDGE_LLM_MODEL' },
      { name: 'WEBTRAIL_ROLLOUT_LLM_CONCURRENCY', suggestion: 'WEBTRAIL_AGENT_LLM_CONCURRENCY' },
    ]);
    expect(unknownSettings({ WEBTRAIL_SINK_MIN_SUCESS: '1', WEBTRAIL_BROWSER_VIEWPORTS: '800x600' })).toEqual([
      { name: 'WEBTRAIL_BROWSER_VIEWPORTS', suggestion: 'WEBTRAIL_BROWSER_VIEWPORT' },
      { name: 'WEBTRAIL_SINK_MIN_SUCESS', suggestion: 'WEBTRAIL_SINK_MIN_SUCCESS' },
    ]);
    expect(() => refuseUnknownSettings({ WEBTRAIL_JUDGE_LLM_MODLE: 'big' })).toThrow(
      'invalid configuration: WEBTRAIL_JUDGE_LLM_MODLE is not a setting webtrail reads; did you mean WEBTRAIL_JUDGE_LLM_MODEL?',
    );
  });

  it('accept every setting webtrail reads, the key variable a stage names, and anything outside the two families', () => {
    const env = Object.fromEntries(KNOWN_SETTINGS.map((n) => [n, 'x']));
    expect(
      unknownSettings({
        ...env,
        WEBTRAIL_JUDGE_LLM_API_KEY_VAR: 'OPENAI_JUDGE_KEY',
        OPENAI_JUDGE_KEY: 'sk-…',
        PATH: '/usr/bin',
        KAFKA_BROKERS: 'k:9092',
      }),
    ).toEqual([]);
    expect(KNOWN_SETTINGS).toEqual(
      expect.arrayContaining([
        'WEBTRAIL_JUDGE_LLM_MODEL',
        'WEBTRAIL_AGENT_LLM_CONCURRENCY',
        'OPENAI_BASE_URL',
        'WEBTRAIL_ROLLOUT_CONCURRENCY',
        'WEBTRAIL_SINK_GROUP_ID',
        'WEBTRAIL_PRICE_JUDGE_INPUT_PER_MTOK',
      ]),
    );
  });

  it('are listed from the config schemas, and the list is up to date (npm run settings:gen)', () => {
    expect(readFileSync(path.join(ROOT, 'platform/settingNames.ts'), 'utf8')).toBe(settingNamesSource());
  });

  it('cover every WEBTRAIL_ name the code reads or sets (outside comments and tests)', () => {
    const known = new Set(KNOWN_SETTINGS);
    const missing = new Set<string>();
    for (const file of sources(ROOT)) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*(\/\/|#).*$/gm, '');
      // Whole names only: a name built from a prefix (`WEBTRAIL_${stage}_…`) ends in '_' here.
      for (const [name] of code.matchAll(/\bWEBTRAIL_[A-Z0-9_]*[A-Z0-9]\b(?!_)/g))
        if (!known.has(name)) missing.add(`${name} (${path.relative(ROOT, file)})`);
    }
    expect([...missing]).toEqual([]);
  });
});
