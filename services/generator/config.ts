// Generator settings (WEBTRAIL_GENERATOR_*).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bool, type Env, parseEnv, UserInputError } from '../../platform/index.ts';

export interface GeneratorConfig {
  tasksPerSite: number;
  screenPrompt: string;
  proposePrompt: string;
  /** Domains screened out before any LLM call. */
  blocklist: Set<string>;
  /** A blocklist hit rejects even a site the LLM finds safe. */
  blocklistStrict: boolean;
  /** Add an exploration task per accepted site, whose pages the refiner proposes more tasks from. */
  explore: boolean;
}

export function loadGeneratorConfig(env: Env = process.env): GeneratorConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_GENERATOR_TASKS_PER_SITE: z.coerce.number().int().min(1).max(50).default(5),
      WEBTRAIL_GENERATOR_SCREEN_PROMPT: z
        .string()
        .regex(/^v\d+$/, 'expected a version like v1')
        .default('v1'),
      WEBTRAIL_GENERATOR_PROPOSE_PROMPT: z
        .string()
        .regex(/^v\d+$/, 'expected a version like v1')
        .default('v1'),
      WEBTRAIL_BLOCKLIST: z.string().default(''),
      WEBTRAIL_BLOCKLIST_STRICT: z.enum(['true', 'false']).default('false'),
      WEBTRAIL_GENERATOR_EXPLORE: bool.default(false),
    }),
    env,
  );
  return {
    tasksPerSite: raw.WEBTRAIL_GENERATOR_TASKS_PER_SITE,
    screenPrompt: raw.WEBTRAIL_GENERATOR_SCREEN_PROMPT,
    proposePrompt: raw.WEBTRAIL_GENERATOR_PROPOSE_PROMPT,
    blocklist: loadBlocklist(
      raw.WEBTRAIL_BLOCKLIST.split(',')
        .map((f) => f.trim())
        .filter(Boolean),
    ),
    blocklistStrict: raw.WEBTRAIL_BLOCKLIST_STRICT === 'true',
    explore: raw.WEBTRAIL_GENERATOR_EXPLORE,
  };
}

/** One domain per line, '#' comments allowed. */
export function loadBlocklist(files: string[]): Set<string> {
  const domains = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UserInputError(
        `WEBTRAIL_BLOCKLIST: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    for (const line of text.split('\n')) {
      const domain = line.replace(/#.*/, '').trim().toLowerCase().split(/[\s,]/)[0];
      if (domain) domains.add(domain.replace(/^www\./, ''));
    }
  }
  return domains;
}

/** Whether the domain or one of its parents is listed. */
export function blocklisted(domain: string, blocklist: Set<string>): boolean {
  const labels = domain
    .toLowerCase()
    .replace(/^www\./, '')
    .split('.');
  return labels.some((_, i) => blocklist.has(labels.slice(i).join('.')));
}

/** Every stage's settings face has this name, so tools can read each stage's settings by the stage's name. */
export const loadConfig = loadGeneratorConfig;
