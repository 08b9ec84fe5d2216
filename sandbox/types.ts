// What a sandbox site is: routes served under its host, and tasks whose success a program checks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxState } from './state.ts';
import type { AnswerRule } from './answerRules.ts';

export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  json: unknown;
  sid: string;
  raw: IncomingMessage;
}

export type Reply =
  | { status?: number; html: string }
  | { status?: number; json: unknown }
  | { redirect: string; status?: number }
  | { custom: (res: ServerResponse) => void };

export type Route = (req: SandboxRequest, state: SandboxState) => Reply | undefined;

/**
 * One step of the scripted agent's plan: act on the element whose accessible name matches target, or,
 * for the answer, read it from the page shown then.
 */
export interface PlanStep {
  kind: 'click' | 'type' | 'select' | 'check' | 'uncheck' | 'scroll' | 'press' | 'answer' | 'go_back' | 'hover';
  target?: string;
  role?: string;
  value?: string;
  submit?: boolean;
  read?: AnswerRule;
}

/** What a check sees: the agent's final answer and URL, and the sandbox's state. */
export interface TaskEvidence {
  finalAnswer: string | null;
  finalUrl: string;
}

export interface SandboxTask {
  id: string;
  /** What doing it means: finding something out (the default), changing the site's state, or seeing that the site cannot do it. */
  kind?: 'state' | 'infeasible' | 'not_executable';
  /** For a not_executable task: the reason its trajectory must end with (its page's obstacle). */
  obstacle?: 'captcha' | 'bot_wall' | 'login' | 'consent' | 'rate_limited' | 'down' | 'robots';
  instruction: string;
  startPath: string;
  steps: string[];
  successCriteria: string[];
  plan: PlanStep[];
  check: (evidence: TaskEvidence, state: SandboxState) => boolean;
}

/**
 * A task the proposer never offers from the home page: the scripted refiner offers it as the follow-up
 * of its parent once the parent's trajectory is judged a success (a harder task) or a failure (a
 * repaired or simpler one), or from the pages an exploration of the site saw (`explored`, no parent).
 */
export interface SandboxFollowUp extends SandboxTask {
  /** The task it follows up; for an explored one, the page the exploration must have seen (its path). */
  parent: string;
  after: 'success' | 'failure' | 'explored';
  /** What the refiner says of why it made it. */
  reason: string;
  /**
   * The site does not show what it asks (a refiner's realistic mistake): no answer passes its check, and
   * its plan ends in not finding it, so the round after repairs it.
   */
  unanswerable?: true;
}

export interface SandboxSite {
  name: string;
  title: string;
  description: string;
  /** Shown to screening: the unsafe site is screened out. */
  unsafe?: boolean;
  routes: Route[];
  tasks: SandboxTask[];
  /** Follow-up tasks for the refinement rounds (none proposed from the home page). */
  followUps?: SandboxFollowUp[];
  /**
   * Tasks the scripted proposer offers first, flagged as a careful LLM flags them (a login, a payment,
   * other people's data): the generator must drop every one, so none is ever a task.
   */
  unsafeProposals?: Array<{
    instruction: string;
    requiresLogin?: boolean;
    requiresPayment?: boolean;
    changesOthersData?: boolean;
  }>;
  /** The site's robots.txt, for every user agent: path prefixes it disallows, and its Crawl-delay. */
  robots?: { disallow: string[]; crawlDelayS?: number };
}

/** A site's robots.txt text (RFC 9309), from its declaration. */
export function robotsTxtOf(robots: NonNullable<SandboxSite['robots']>): string {
  return [
    'User-agent: *',
    ...robots.disallow.map((p) => `Disallow: ${p}`),
    ...(robots.crawlDelayS ? [`Crawl-delay: ${robots.crawlDelayS}`] : []),
    '',
  ].join('\n');
}

/** The record id at the end of a confirmation URL such as /order/ab12cd. */
export function idFromUrl(url: string, prefix: string): string | null {
  try {
    const match = new RegExp(`^/${prefix}/([\\w-]+)$`).exec(new URL(url).pathname);
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

export function answerHas(evidence: TaskEvidence, ...needles: string[]): boolean {
  const answer = (evidence.finalAnswer ?? '').toLowerCase().replace(/\s+/g, ' ');
  return needles.every((n) => answer.includes(n.toLowerCase()));
}
