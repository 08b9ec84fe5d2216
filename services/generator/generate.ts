// sites → tasks: open the home page, screen the site, propose tasks grounded in what it shows, keep
// the feasible and distinct ones. Plain functions: the browser and the LLM come in as arguments.
import {
  BLOCKLISTED_CATEGORY,
  type Site,
  type SiteRejection,
  SUPPRESSED_CATEGORY,
  type Task,
  type TokenUsage,
} from '../../schemas/index.ts';
import type { Observation } from '../../browser/index.ts';
import { listedDomain, stableId } from '../../platform/index.ts';
import {
  addUsage,
  EXPLORE_INSTRUCTION,
  type LlmClient,
  nearDuplicateOf,
  type Prompt,
  ProposalOutput,
  proposedTaskProblem,
  ScreeningOutput,
  startUrlOnSite,
  zeroUsage,
} from '../../llm/index.ts';
import type { GeneratorConfig } from './config.ts';

export interface HomePage {
  ok: boolean;
  /** Why it could not be opened (network error, guard). */
  error: string | null;
  blocked: boolean;
  observation: Observation | null;
}

export interface GeneratorDeps {
  openHomePage(url: string, signal: AbortSignal): Promise<HomePage>;
  /** The operator's suppression list as it stands now (sites that asked not to be visited). */
  suppressed(): Promise<ReadonlySet<string>>;
  llm: LlmClient;
  screenPrompt: Prompt;
  proposePrompt: Prompt;
  config: GeneratorConfig;
  now(): number;
}

export type GeneratorResult =
  | { kind: 'tasks'; tasks: Task[]; dropped: Array<{ instruction: string; why: string }> }
  | { kind: 'rejected'; rejection: SiteRejection };

export function generatorVersion(deps: Pick<GeneratorDeps, 'llm' | 'screenPrompt' | 'proposePrompt'>): string {
  return `${deps.llm.model}@${deps.screenPrompt.id}+${deps.proposePrompt.id}`;
}

export async function generateForSite(site: Site, deps: GeneratorDeps, signal: AbortSignal): Promise<GeneratorResult> {
  const version = generatorVersion(deps);
  let usage: TokenUsage = zeroUsage();
  const reject = (
    reason: SiteRejection['reason'],
    detail: string,
    category: string | null = null,
  ): GeneratorResult => ({
    kind: 'rejected',
    rejection: {
      domain: site.domain,
      url: site.url,
      reason,
      detail,
      category,
      generatorVersion: version,
      rejectedAtMs: deps.now(),
      usage,
    },
  });

  // Both lists are read before the page is opened: a listed site sees no visit and costs no LLM call.
  const optedOut = listedDomain(site.domain, await deps.suppressed());
  if (optedOut)
    return reject(
      'blocked',
      `${optedOut} is on the operator's suppression list (WEBTRAIL_SUPPRESSION_LIST): it asked not to be visited`,
      SUPPRESSED_CATEGORY,
    );
  const listed = listedDomain(site.domain, deps.config.blocklist);
  if (listed) return reject('unsafe', `${listed} is on the blocklist (WEBTRAIL_BLOCKLIST)`, BLOCKLISTED_CATEGORY);

  const home = await deps.openHomePage(site.url, signal);
  if (!home.ok || !home.observation)
    return reject(home.blocked ? 'blocked' : 'unreachable', home.error ?? 'the home page did not load');
  const observation = home.observation.text;

  const screening = await deps.llm.complete({
    messages: deps.screenPrompt.render({ url: site.url, domain: site.domain, observation }),
    schema: ScreeningOutput,
    schemaName: 'Screening',
    signal,
  });
  usage = addUsage(usage, screening.usage);
  if (!screening.value.safe)
    return reject('unsafe', screening.value.reason || 'judged unsafe by the screening model', screening.value.category);

  const proposal = await deps.llm.complete({
    messages: deps.proposePrompt.render({
      url: site.url,
      domain: site.domain,
      count: deps.config.tasksPerSite,
      observation,
    }),
    schema: ProposalOutput,
    schemaName: 'Proposal',
    signal,
  });
  usage = addUsage(usage, proposal.usage);

  // The same submission redelivered makes the same id; the site submitted again, a new one.
  const submissionId = stableId('submission', site.domain, site.submittedAtMs);
  const tasks: Task[] = [];
  const dropped: Array<{ instruction: string; why: string }> = [];
  for (const proposed of proposal.value.tasks) {
    const instruction = proposed.instruction.trim();
    const problem = proposedTaskProblem({ ...proposed, instruction });
    if (problem) {
      dropped.push({ instruction, why: problem });
      continue;
    }
    if (
      nearDuplicateOf(
        instruction,
        tasks.map((t) => t.instruction),
      ) !== undefined
    ) {
      dropped.push({ instruction, why: 'near-duplicate of another task' });
      continue;
    }
    const startUrl = startUrlOnSite(proposed.startUrl, site.url);
    tasks.push({
      taskId: stableId('task', site.domain, instruction, version),
      domain: site.domain,
      startUrl,
      instruction,
      steps: proposed.steps,
      successCriteria: proposed.successCriteria,
      generatorVersion: version,
      createdAtMs: deps.now(),
      usage,
      lineage: null,
      submissionId,
      kind: 'task',
    });
    if (tasks.length >= deps.config.tasksPerSite) break;
  }
  // The exploration task goes beside the proposed ones (and does not stand in for them).
  if (deps.config.explore && tasks.length > 0) {
    tasks.push({
      taskId: stableId('explore', site.domain, submissionId, version),
      domain: site.domain,
      startUrl: site.url,
      instruction: EXPLORE_INSTRUCTION,
      steps: [],
      successCriteria: [],
      generatorVersion: version,
      createdAtMs: deps.now(),
      usage,
      lineage: null,
      submissionId,
      kind: 'explore',
    });
  }
  if (tasks.length === 0)
    return reject(
      'no_tasks',
      dropped.length ? `every proposed task was dropped (${dropped[0]!.why})` : 'the model proposed no task',
      screening.value.category,
    );
  return { kind: 'tasks', tasks, dropped };
}
