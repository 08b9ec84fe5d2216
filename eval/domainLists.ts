// Labelled domains for the safety screen: category lists (harmful/<category>.<source>.txt and
// benign/<category>.<source>.txt, one domain per line, # comments) or a labels file of JSON lines
// {"domain": ..., "harmful": true|false, "category"?: ...}.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isDomainName, UserInputError } from '../platform/index.ts';
import { readJsonLines } from './jsonLines.ts';

export interface LabelledDomain {
  domain: string;
  harmful: boolean;
  category: string;
}

/** The same sample for the same seed: domains ordered by a hash of the seed and the name. */
function sample(domains: string[], count: number, seed: number): string[] {
  const key = (d: string) => createHash('sha1').update(`${seed}:${d}`).digest('hex');
  return [...domains].sort((a, b) => key(a).localeCompare(key(b))).slice(0, count);
}

/** `perCategory` domains from every list under harmful/ and benign/ (all of them when 0). */
export function readDomainLists(dir: string, perCategory: number, seed: number): LabelledDomain[] {
  const found: LabelledDomain[] = [];
  for (const label of ['harmful', 'benign'] as const) {
    const sub = path.join(dir, label);
    if (!existsSync(sub)) continue;
    for (const file of readdirSync(sub)
      .filter((f) => f.endsWith('.txt'))
      .sort()) {
      const category = `${label}/${file.replace(/\.txt$/, '')}`;
      const domains = readFileSync(path.join(sub, file), 'utf8')
        .split('\n')
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l && !l.startsWith('#') && isDomainName(l));
      for (const domain of perCategory > 0 ? sample(domains, perCategory, seed) : domains)
        found.push({ domain, harmful: label === 'harmful', category });
    }
  }
  if (found.length === 0)
    throw new UserInputError(
      `--domains ${dir}: no lists in it (expected harmful/*.txt and benign/*.txt, one domain per line)`,
    );
  return found;
}

const Label = z.object({
  domain: z
    .string()
    .transform((d) => d.toLowerCase())
    .refine(isDomainName, 'a domain name such as example.com'),
  harmful: z.boolean(),
  category: z.string().min(1).optional(),
});

export function readDomainLabels(file: string): LabelledDomain[] {
  return readJsonLines(file, Label, '{"domain": string, "harmful": true|false, "category"?: string}').map((row) => ({
    domain: row.domain,
    harmful: row.harmful,
    category: row.category ?? (row.harmful ? 'harmful' : 'benign'),
  }));
}
