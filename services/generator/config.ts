// Generator settings (WEBTRAIL_GENERATOR_*).
import { z } from 'zod';
import { bool, type Env, parseEnv, readDomainListFile } from '../../platform/index.ts';

export interface GeneratorConfig {
  tasksPerSite: number;
  screenPrompt: string;
  proposePrompt: string;
  /** Domains (and their subdomains) rejected as unsafe before the page is opened or any LLM is called. */
  blocklist: Set<string>;
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
      WEBTRAIL_GENERATOR_EXPLORE: bool.default(false),
    }),
    env,
  );
  return {
    tasksPerSite: raw.WEBTRAIL_GENERATOR_TASKS_PER_SITE,
    screenPrompt: raw.WEBTRAIL_GENERATOR_SCREEN_PROMPT,
    proposePrompt: raw.WEBTRAIL_GENERATOR_PROPOSE_PROMPT,
    blocklist: new Set(
      raw.WEBTRAIL_BLOCKLIST.split(',')
        .map((f) => f.trim())
        .filter(Boolean)
        .flatMap((file) => [...readDomainListFile(file, 'WEBTRAIL_BLOCKLIST')]),
    ),
    explore: raw.WEBTRAIL_GENERATOR_EXPLORE,
  };
}

/** Every stage's settings face has this name, so tools can read each stage's settings by the stage's name. */
export const loadConfig = loadGeneratorConfig;
