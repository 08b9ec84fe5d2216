// What the generator does with one submitted site, as data: a site this generator version screened before
// is skipped (unless submitted again on purpose); otherwise it is screened and its tasks proposed. The
// records come in the order they must be sent: the site's tasks (each starting its own trace) or its
// rejection, then the screening record, last, so that once it exists the tasks it speaks of do too.
import type { OutputRecord } from '../../bus/index.ts';
import { type ScreenedSite, type Site, type SiteRejection, taskRecordKey, TOPICS } from '../../schemas/index.ts';
import { ATTRS, SPANS, newTaskTrace } from '../../platform/index.ts';
import type { GeneratorResult } from './generate.ts';
import { screenedKey, screenedRecord, skippedResubmission } from './screenedSites.ts';

export type SiteOutcome =
  | { kind: 'skipped'; records: OutputRecord[]; screened: ScreenedSite }
  | { kind: 'rejected'; records: OutputRecord[]; screened: ScreenedSite; rejection: SiteRejection }
  | {
      kind: 'tasks';
      records: OutputRecord[];
      screened: ScreenedSite;
      dropped: Array<{ instruction: string; why: string }>;
    };

export interface SiteHandlerDeps {
  generatorVersion: string;
  /** Screens the site and proposes its tasks (generateForSite with its browser and LLM). */
  generate(site: Site, signal: AbortSignal): Promise<GeneratorResult>;
  now(): number;
}

/** The screening record, keyed by domain and generator version, sent after the others. */
function screenedOutput(value: ScreenedSite, generatorVersion: string): OutputRecord<'ScreenedSite'> {
  return {
    topic: TOPICS.sitesScreened.name,
    key: screenedKey(value.domain, generatorVersion),
    schema: 'ScreenedSite',
    value,
    afterOthers: true,
  };
}

/** The records for one site; `known` is this generator version's earlier screening of it, if any. */
export async function handleSite(
  site: Site,
  known: ScreenedSite | undefined,
  deps: SiteHandlerDeps,
  signal: AbortSignal,
): Promise<SiteOutcome> {
  const version = deps.generatorVersion;
  const skipped = skippedResubmission(site, known, deps.now());
  if (skipped) return { kind: 'skipped', records: [screenedOutput(skipped, version)], screened: skipped };
  const result = await deps.generate(site, signal);
  const screened = screenedRecord(site, version, result, known, deps.now());
  if (result.kind === 'rejected') {
    const rejection: OutputRecord<'SiteRejection'> = {
      topic: TOPICS.sitesRejected.name,
      key: site.domain,
      schema: 'SiteRejection',
      value: result.rejection,
    };
    return {
      kind: 'rejected',
      records: [rejection, screenedOutput(screened, version)],
      screened,
      rejection: result.rejection,
    };
  }
  const tasks = result.tasks.map((task): OutputRecord<'Task'> => ({
    topic: TOPICS.tasks.name,
    key: taskRecordKey(task),
    schema: 'Task',
    value: task,
    headers: newTaskTrace(SPANS.task, { [ATTRS.taskId]: task.taskId, [ATTRS.domain]: task.domain }),
  }));
  return { kind: 'tasks', records: [...tasks, screenedOutput(screened, version)], screened, dropped: result.dropped };
}
