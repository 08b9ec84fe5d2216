// Dataset settings: where the datasets live, how shards are cut and flushed, which examples a dataset keeps
// (WEBTRAIL_SINK_FILTER), whether PII is scrubbed, and what the card declares. The sink writes by them;
// `webtrail export`, the demo and the training check read by them.
import path from 'node:path';
import { z } from 'zod';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/min';
import { bool, type Env, parseEnv, UserInputError, webtrailHome } from '../platform/index.ts';
import { compileFilter, DEFAULT_FILTER, type ExampleFilter } from './exampleFilter.ts';
import type { CardMetadata } from './datasetCard.ts';

export interface DatasetConfig {
  filter: ExampleFilter;
  /** Replace emails, phone numbers and secrets in URLs in every message with placeholders. */
  scrubPii: boolean;
  /** Whose national phone numbers (written without +country) the scrubber recognises. */
  piiCountry: CountryCode;
  datasetsDir: string;
  maxShardBytes: number;
  maxShardAgeMs: number;
  flushIntervalMs: number;
  card: CardMetadata;
}

const score = z.coerce.number().min(0).max(1);

export function loadDatasetConfig(env: Env = process.env): DatasetConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_SINK_FILTER: z.string().optional(),
      // Before WEBTRAIL_SINK_FILTER: minimums, all three required. Still honoured, as that expression.
      WEBTRAIL_SINK_MIN_SUCCESS: score.optional(),
      WEBTRAIL_SINK_MIN_EFFICIENCY: score.optional(),
      WEBTRAIL_SINK_MIN_SELF_CORRECTION: score.optional(),
      WEBTRAIL_SINK_SCRUB_PII: bool.default(false),
      WEBTRAIL_SINK_PII_COUNTRY: z
        .string()
        .refine(isSupportedCountry, 'a two-letter country code such as US, GB or DE')
        .default('US'),
      WEBTRAIL_SINK_DATASETS_DIR: z.string().optional(),
      WEBTRAIL_SINK_MAX_SHARD_BYTES: z.coerce
        .number()
        .int()
        .min(1024)
        .default(64 * 1024 * 1024),
      WEBTRAIL_SINK_MAX_SHARD_AGE_MS: z.coerce.number().int().min(100).default(60_000),
      WEBTRAIL_SINK_FLUSH_INTERVAL_MS: z.coerce.number().int().min(1).default(50),
      // Written into the card's YAML: a licence identifier and task categories as the Hub names them.
      WEBTRAIL_DATASET_LICENSE: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.+-]{0,63}$/, "a licence identifier such as 'other', 'cc-by-4.0' or 'apache-2.0'")
        .default('other'),
      WEBTRAIL_DATASET_TASK_CATEGORIES: z
        .string()
        .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, "comma-separated categories such as 'text-generation'")
        .default('text-generation'),
    }),
    env,
  );
  const minimums = [
    raw.WEBTRAIL_SINK_MIN_SUCCESS,
    raw.WEBTRAIL_SINK_MIN_EFFICIENCY,
    raw.WEBTRAIL_SINK_MIN_SELF_CORRECTION,
  ];
  let filterText = raw.WEBTRAIL_SINK_FILTER ?? DEFAULT_FILTER;
  if (minimums.some((m) => m !== undefined)) {
    if (raw.WEBTRAIL_SINK_FILTER !== undefined)
      throw new UserInputError(
        'set WEBTRAIL_SINK_FILTER or the older WEBTRAIL_SINK_MIN_SUCCESS / _MIN_EFFICIENCY / _MIN_SELF_CORRECTION, not both',
      );
    const [success = 0, efficiency = 0, selfCorrection = 0] = minimums;
    filterText = `success >= ${success} and efficiency >= ${efficiency} and self_correction >= ${selfCorrection}`;
  }
  return {
    filter: compileFilter(filterText),
    scrubPii: raw.WEBTRAIL_SINK_SCRUB_PII,
    piiCountry: raw.WEBTRAIL_SINK_PII_COUNTRY as CountryCode,
    datasetsDir: raw.WEBTRAIL_SINK_DATASETS_DIR ?? path.join(webtrailHome(env), 'datasets'),
    maxShardBytes: raw.WEBTRAIL_SINK_MAX_SHARD_BYTES,
    maxShardAgeMs: raw.WEBTRAIL_SINK_MAX_SHARD_AGE_MS,
    flushIntervalMs: raw.WEBTRAIL_SINK_FLUSH_INTERVAL_MS,
    card: { license: raw.WEBTRAIL_DATASET_LICENSE, taskCategories: raw.WEBTRAIL_DATASET_TASK_CATEGORIES.split(',') },
  };
}
