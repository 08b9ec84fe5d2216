// Generated from schemas/src/*.avsc by `npm run schemas:gen`. Do not edit by hand.

/** LLM token usage and latency summed over the calls that made a message. */
export interface TokenUsage {
  /** Number of LLM calls, retries included. */
  calls: number;
  /** Prompt tokens reported by the endpoint. */
  promptTokens: number;
  /** Completion tokens reported by the endpoint. */
  completionTokens: number;
  /** Wall time spent waiting for the LLM, in milliseconds. */
  latencyMs: number;
}

export type ChatRole = 'system' | 'user' | 'assistant';

export const ChatRoleValues = ['system', 'user', 'assistant'] as const;

/** One chat turn, as sent to or received from an LLM. */
export interface ChatMessage {
  /** Who speaks. */
  role: ChatRole;
  /** What is said. */
  content: string;
}

/** A website submitted for task generation. Topic webtrail.sites, keyed by domain. */
export interface Site {
  /** Lower-case host name, the message key (e.g. shop.example.com). */
  domain: string;
  /** Start URL of the site: the submitted URL, or https://<domain>/ for a bare domain. */
  url: string;
  /** When it was submitted, epoch milliseconds. */
  submittedAtMs: number;
  /** Who submitted it: 'cli', 'demo', or a user-chosen label. */
  source: string;
  /** Screen and propose again even if this generator version already did (webtrail submit --again); otherwise a site already screened is skipped. */
  again: boolean;
}

/** unsafe: the screening judged it harmful; unreachable: the page did not load; blocked: a browser guard refused it; no_tasks: no feasible task was proposed. */
export type RejectionReason = 'unsafe' | 'unreachable' | 'blocked' | 'no_tasks';

export const RejectionReasonValues = ['unsafe', 'unreachable', 'blocked', 'no_tasks'] as const;

/** A site the generator did not make tasks for. Topic webtrail.sites.rejected, keyed by domain. */
export interface SiteRejection {
  /** The rejected site's domain. */
  domain: string;
  /** The URL that was tried. */
  url: string;
  /** Why it was rejected. */
  reason: RejectionReason;
  /** Human-readable explanation (screening reason, network error, guard reason). */
  detail: string;
  /** Content category named by the screening, when there was one. */
  category: null | string;
  /** Generator model and prompt version that decided. */
  generatorVersion: string;
  /** When it was rejected. */
  rejectedAtMs: number;
  /** LLM usage spent on this site. */
  usage: TokenUsage;
}

export type ScreeningOutcome = 'tasks' | 'rejected';

export const ScreeningOutcomeValues = ['tasks', 'rejected'] as const;

/** A site a generator version has screened, and what came of it. Topic webtrail.sites.screened (compacted), keyed by '<domain> <generator version>': a site submitted again is not screened again by the same version unless asked. */
export interface ScreenedSite {
  /** The site's normalised domain (lower case, no trailing dot). */
  domain: string;
  /** The generator model and prompt version that screened it. */
  generatorVersion: string;
  /** tasks: its tasks went to webtrail.tasks; rejected: its rejection went to webtrail.sites.rejected. */
  outcome: ScreeningOutcome;
  /** Tasks proposed (0 when rejected). */
  taskCount: number;
  /** When it was last screened. */
  screenedAtMs: number;
  /** Submissions of the site since then that were skipped (not screened again). */
  resubmissionsSkipped: number;
  /** When a submission was last skipped. */
  lastSkippedAtMs: null | number;
}

/** Where a follow-up task came from: the refiner made it from a judged trajectory of its parent. */
export interface TaskLineage {
  /** The task whose judged trajectory this one follows up. */
  parentTaskId: string;
  /** The first task of the chain (proposed from the home page). */
  rootTaskId: string;
  /** Refinement round: 1 for a follow-up of a proposed task, 2 for a follow-up of that, and so on. */
  round: number;
  /** harder (after a success) or repair (after a failure: a repaired or simpler task). */
  direction: string;
  /** Why the refiner made it, in its own words. */
  reason: string;
  /** The verdict it was made from. */
  verdictId: string;
  /** The parent's judged success in [0,1]. */
  parentSuccess: number;
}

/** A task proposed for a site. Topic webtrail.tasks, keyed by taskId. */
export interface Task {
  /** Deterministic id: hash of domain, instruction and generator version. */
  taskId: string;
  /** The site's domain. */
  domain: string;
  /** Where the agent starts. */
  startUrl: string;
  /** What the agent is asked to do, in natural language. */
  instruction: string;
  /** Expected steps, as proposed by the generator (guidance for the judge, not shown to the agent). */
  steps: Array<string>;
  /** What must be true at the end for the task to count as solved. */
  successCriteria: Array<string>;
  /** Generator model and prompt version (model@prompt). */
  generatorVersion: string;
  /** When it was proposed. */
  createdAtMs: number;
  /** LLM usage of the screening and proposal, shared by the site's tasks. */
  usage: TokenUsage;
  /** Null for a task proposed from the home page (round 0); set on follow-up tasks. */
  lineage: null | TaskLineage;
  /** task: a task to carry out and judge; explore: an exploration of the site (no success check) whose pages ground the refiner's proposals, kept out of the training data unless the sink is asked (WEBTRAIL_SINK_KEEP_EXPLORATION). */
  kind: string;
  /** The submission of the site it came from (hash of the domain and its submission time): follow-ups carry their first task's, and the refiner counts its caps per submission, so a site submitted again (submit --again) is refined again. Empty in tasks recorded before webtrail kept it. */
  submissionId: string;
}

export type ActionKind = 'click' | 'type' | 'select' | 'check' | 'uncheck' | 'hover' | 'scroll' | 'press' | 'go_back' | 'go_forward' | 'goto' | 'new_tab' | 'switch_tab' | 'wait' | 'answer';

export const ActionKindValues = ['click', 'type', 'select', 'check', 'uncheck', 'hover', 'scroll', 'press', 'go_back', 'go_forward', 'goto', 'new_tab', 'switch_tab', 'wait', 'answer'] as const;

/** The parsed action. */
export interface Action {
  /** What to do. */
  kind: ActionKind;
  /** Target element [N] from the observation, when the action has one. */
  elementId: null | number;
  /** Text to type, option to select, key to press, URL, scroll direction, tab index or final answer. */
  value: null | string;
  /** For type: press Enter afterwards. */
  submit: boolean;
}

/** What happened when the action ran. */
export interface ActionResult {
  /** Whether the action ran. */
  ok: boolean;
  /** Why not, when it did not. */
  error: null | string;
  /** Whether the page navigated. */
  navigated: boolean;
  /** Whether a new tab opened. */
  newTab: boolean;
  /** URL after the action. */
  url: string;
}

/** Where the acted-on element was in the step's screenshot. */
export interface TargetBox {
  /** Left edge, CSS pixels from the viewport's left. */
  x: number;
  /** Top edge, CSS pixels from the viewport's top (may be negative or past the bottom when off screen). */
  y: number;
  /** Width in CSS pixels. */
  width: number;
  /** Height in CSS pixels. */
  height: number;
  /** The viewport's width in CSS pixels (the screenshot's width at scale 1). */
  viewportWidth: number;
  /** The viewport's height in CSS pixels. */
  viewportHeight: number;
}

/** Something the browser's guard did during the step. */
export interface GuardEventRecord {
  /** request_blocked, download_refused, dialog_answered, popup_refused, popup_followed, time_limit, dom_cap, page_crashed, ... */
  kind: string;
  /** Why, in words. */
  detail: string;
  /** The URL concerned. */
  url: string;
  /** When. */
  atMs: number;
}

/** One observe, think, act cycle. */
export interface Step {
  /** 0-based step number. */
  index: number;
  /** Page URL when observed. */
  url: string;
  /** Page title when observed. */
  title: string;
  /** The observation text the agent saw (markdown with numbered elements); when observationRef is set, only its beginning. */
  observation: string;
  /** Blob-store URI of the whole observation when it was too large to carry (named by its SHA-256), else null. */
  observationRef: null | string;
  /** Blob-store URI of the JPEG screenshot, when taken. */
  screenshotRef: null | string;
  /** The raw LLM response text. */
  llmOutput: string;
  /** Exactly the messages the agent was sent for this step (null in trajectories recorded before webtrail kept them, when no call was made, or when promptRef holds them). */
  prompt: null | Array<ChatMessage>;
  /** Blob-store URI of the messages as JSON when they were too large to carry (named by their SHA-256), else null. */
  promptRef: null | string;
  /** The parsed action, null when the output could not be parsed. */
  action: null | Action;
  /** Result of the action, null when none ran. */
  result: null | ActionResult;
  /** Error of this step (LLM failure, parse failure), if any. */
  error: null | string;
  /** When the step started. */
  startedAtMs: number;
  /** Time to observe the page. */
  observeMs: number;
  /** Time waiting for the LLM. */
  llmMs: number;
  /** Time to act and let the page settle. */
  actMs: number;
  /** LLM usage of this step. */
  usage: TokenUsage;
  /** The box of the element the action targeted, as observed before acting; null when the action had none. */
  targetBox: null | TargetBox;
  /** Guard events from this step's observation to the end of its action (empty before webtrail kept them). */
  guardEvents: Array<GuardEventRecord>;
}

export type TrajectoryStatus = 'answered' | 'step_limit' | 'error' | 'blocked';

export const TrajectoryStatusValues = ['answered', 'step_limit', 'error', 'blocked'] as const;

export interface NotExecutable {
  /** captcha, bot_wall, login, consent, rate_limited, down or robots (a string, not an enum, so that a reason can be added without breaking any reader). */
  reason: string;
  /** What the page showed, in words. */
  detail: string;
}

/** An agent's attempt at a task in a real browser. Topic webtrail.trajectories, keyed by taskId. */
export interface Trajectory {
  /** Deterministic id: hash of taskId and agent version. */
  trajectoryId: string;
  /** This attempt at the task, random per run: a task redelivered after a crash or rebalance runs again under the same trajectoryId with a new runId, and the sink keeps one run per trajectory. Empty in trajectories recorded before webtrail kept it. */
  runId: string;
  /** The task as received. */
  task: Task;
  /** Agent model and prompt version (model@prompt). */
  agentVersion: string;
  /** Every step, in order. */
  steps: Array<Step>;
  /** The agent's answer, when it answered. */
  finalAnswer: null | string;
  /** URL of the last page. */
  finalUrl: string;
  /** Observation text of the last page (for the judge); when finalObservationRef is set, only its beginning. */
  finalObservation: string;
  /** Blob-store URI of the whole final observation when it was too large to carry, else null. */
  finalObservationRef: null | string;
  /** How it ended. */
  status: TrajectoryStatus;
  /** Why, for error and blocked (and the loop detector). */
  statusReason: null | string;
  /** Set when the site made the task impossible (Online-Mind2Web's 'not executable'): status is blocked, and the trajectory is kept out of success rates, training data and refinement. Null for a trajectory the agent could carry out (and before webtrail told them apart). */
  notExecutable: null | NotExecutable;
  /** When the rollout started. */
  startedAtMs: number;
  /** When it ended. */
  endedAtMs: number;
  /** LLM usage summed over the steps. */
  usage: TokenUsage;
  /** The settings the agent ran with (model, prompt, temperature, max tokens, step limit, history steps, ...), as text. */
  agentSettings: Record<string, string>;
  /** Which attempt at its task this is, from 0 (best-of-n: WEBTRAIL_ROLLOUT_ATTEMPTS); 0 for a task run once. */
  attempt: number;
  /** How many attempts its task was given; with more than one the sink keeps only the best judged of them. */
  attempts: number;
  /** Guard events while the start page opened, before the first step (a download, a dialog, a popup storm, a page stopped for holding its renderer); empty before webtrail kept them. */
  startGuardEvents: Array<GuardEventRecord>;
}

/** A judge's scoring of a trajectory, with the trajectory the sink needs. Topic webtrail.verdicts, keyed by trajectoryId. */
export interface Verdict {
  /** Deterministic id: hash of trajectoryId, its runId (when set) and judge version. */
  verdictId: string;
  /** The judged trajectory. */
  trajectoryId: string;
  /** Judge model and prompt version (model@prompt); names the dataset. */
  judgeVersion: string;
  /** Probability the task was solved, in [0,1]. */
  success: number;
  /** How directly it was solved, in [0,1]. */
  efficiency: number;
  /** How well the agent recovered from its mistakes, in [0,1]. */
  selfCorrection: number;
  /** The judge's explanation. */
  reasoning: string;
  /** When it was judged. */
  judgedAtMs: number;
  /** LLM usage of the judgement. */
  usage: TokenUsage;
  /** The judged trajectory, so the sink needs nothing else. */
  trajectory: Trajectory;
  /** Whether the refiner may make a follow-up task from this verdict: true from the live judge, false from a replay unless run with --refine (and in verdicts recorded before webtrail refined). */
  refine: boolean;
}

/** One agent step as chat-format SFT data. Topic webtrail.training-examples, keyed by exampleId. */
export interface TrainingExample {
  /** Deterministic id: hash of trajectoryId, runId (when set), step and judge version. */
  exampleId: string;
  /** The trajectory it comes from. */
  trajectoryId: string;
  /** The run of that trajectory (its runId): a dataset holds one run per trajectory. */
  runId: string;
  /** The task it comes from. */
  taskId: string;
  /** The site. */
  domain: string;
  /** Step index within the trajectory. */
  step: number;
  /** Judge version that selected it. */
  judgeVersion: string;
  /** Agent model and prompt version that acted. */
  agentVersion: string;
  /** Generator model and prompt version that proposed the task. */
  generatorVersion: string;
  /** system and user exactly as the agent was sent them (recorded in the trajectory), then assistant: the agent's response. */
  messages: Array<ChatMessage>;
  /** Judge's success score of the trajectory. */
  success: number;
  /** Judge's efficiency score. */
  efficiency: number;
  /** Judge's self-correction score. */
  selfCorrection: number;
  /** When it was made. */
  createdAtMs: number;
  /** Tokens of the whole example (messages and their chat framing) by the sink's tokenizer (WEBTRAIL_TOKENIZER); 0 when made before webtrail counted them. */
  tokens: number;
  /** Refinement round of its task: 0 for a task proposed from the home page, n for the refiner's n-th follow-up (and in examples made before webtrail refined). */
  round: number;
  /** For a follow-up task, the task it follows up (its lineage's parent); empty for a proposed task. */
  parentTaskId: string;
  /** How many attempts its task was given (best-of-n); with more than one, its trajectory is the best judged of those the sink received. */
  attempts: number;
  /** Which of those attempts it comes from, from 0. */
  attempt: number;
}

export type FailureStage = 'decode' | 'handle' | 'produce';

export const FailureStageValues = ['decode', 'handle', 'produce'] as const;

/** A message a service could not process. Topic webtrail.dlq.<service>, keyed by the original key. */
export interface DeadLetter {
  /** The service that gave up (generator, rollout, judge, sink). */
  service: string;
  /** Topic the message was read from. */
  topic: string;
  /** Its partition. */
  partition: number;
  /** Its offset. */
  offset: number;
  /** The original key bytes. */
  key: null | Buffer;
  /** The original value bytes, untouched. */
  value: null | Buffer;
  /** The original headers (as UTF-8). */
  headers: Record<string, string>;
  /** Where it failed. */
  stage: FailureStage;
  /** The error message. */
  error: string;
  /** The error's class name. */
  errorName: string;
  /** Whether the error was retriable (and attempts ran out). */
  retriable: boolean;
  /** How many times it was tried. */
  attempts: number;
  /** When the service gave up. */
  failedAtMs: number;
}

/** Value type of each top-level schema. */
export interface SchemaTypes {
  TokenUsage: TokenUsage;
  ChatMessage: ChatMessage;
  Site: Site;
  SiteRejection: SiteRejection;
  ScreenedSite: ScreenedSite;
  Task: Task;
  Trajectory: Trajectory;
  Verdict: Verdict;
  TrainingExample: TrainingExample;
  DeadLetter: DeadLetter;
}
