// Which sites each generator version has already screened, so a site submitted again costs nothing
// unless the user asks (submit --again) or the generator's version changed. The record of it is the
// compacted topic webtrail.sites.screened; this is its table in memory, and the plain decisions on it.
import type { ScreenedSite, Site } from '../../schemas/index.ts';
import type { GeneratorResult } from './generate.ts';

/** The same site, however it was written: lower case, no trailing dot. */
export function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/** The compacted topic's key: a domain holds no space, so the pair cannot collide. */
export function screenedKey(domain: string, generatorVersion: string): string {
  return `${normaliseDomain(domain)} ${generatorVersion}`;
}

/** The later of two records of one key (a follower can deliver an older one after this process wrote a newer). */
function later(a: ScreenedSite, b: ScreenedSite): ScreenedSite {
  if (a.screenedAtMs !== b.screenedAtMs) return a.screenedAtMs > b.screenedAtMs ? a : b;
  return a.resubmissionsSkipped >= b.resubmissionsSkipped ? a : b;
}

export class ScreenedSites {
  private readonly byKey = new Map<string, ScreenedSite>();

  get(domain: string, generatorVersion: string): ScreenedSite | undefined {
    return this.byKey.get(screenedKey(domain, generatorVersion));
  }

  remember(record: ScreenedSite): void {
    const key = screenedKey(record.domain, record.generatorVersion);
    const known = this.byKey.get(key);
    this.byKey.set(key, known ? later(known, record) : record);
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** The record for a submission that is skipped, or null when the site must be screened. */
export function skippedResubmission(site: Site, known: ScreenedSite | undefined, now: number): ScreenedSite | null {
  if (!known || site.again) return null;
  return { ...known, resubmissionsSkipped: known.resubmissionsSkipped + 1, lastSkippedAtMs: now };
}

/** What a screening came to, keeping the count of skipped submissions across an asked-for re-screening. */
export function screenedRecord(
  site: Site,
  generatorVersion: string,
  result: GeneratorResult,
  known: ScreenedSite | undefined,
  now: number,
): ScreenedSite {
  return {
    domain: normaliseDomain(site.domain),
    generatorVersion,
    outcome: result.kind === 'tasks' ? 'tasks' : 'rejected',
    taskCount: result.kind === 'tasks' ? result.tasks.length : 0,
    screenedAtMs: now,
    resubmissionsSkipped: known?.resubmissionsSkipped ?? 0,
    lastSkippedAtMs: known?.lastSkippedAtMs ?? null,
  };
}
