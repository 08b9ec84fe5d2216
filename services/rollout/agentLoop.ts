// tasks → trajectories: observe → LLM → act until the agent answers, hits the step limit or fails.
// Every step is recorded: observation, screenshot reference, raw LLM output, parsed action, result,
// errors, timings and tokens. Plain function: the browser session, LLM and blob store come in.
import {
  addUsage,
  AgentOutput,
  describeAction,
  EXPLORE_MAX_PAGES,
  formatHistory,
  LlmCallError,
  type LlmClient,
  LlmOutputError,
  type Prompt,
  zeroUsage,
} from '../../llm/index.ts';
import { createHash } from 'node:crypto';
import type { Action, ActionResult, Step, Task, TokenUsage, Trajectory } from '../../schemas/index.ts';
import { ATTRS, type BlobStore, errorMessage, inSpan, SPANS, stableId } from '../../platform/index.ts';
import { type GuardEvent, type Obstacle, obstacleOfLoadError, type Observation } from '../../browser/index.ts';
import { randomUUID } from 'node:crypto';
import type { RolloutConfig } from './config.ts';

/** The part of a browser session the loop uses (BrowserSession fits). */
export interface AgentBrowser {
  goto(url: string): Promise<ActionResult>;
  observe(): Promise<Observation>;
  act(action: Action): Promise<ActionResult>;
  screenshot(): Promise<Buffer>;
  readonly guardEvents: GuardEvent[];
  readonly remainingMs: number;
  /**
   * Why nothing more can be done in this browser (`hung:` a page that held its renderer, `timeout:` the
   * trajectory's time, `memory:` a renderer that crashed or was stopped), or null.
   */
  readonly stopped: string | null;
  /** The robots.txt policy its pages were loaded under (recorded in the trajectory's agentSettings). */
  readonly robotsPolicy?: string;
  /** Whether the page shown cannot be done (a CAPTCHA, a bot wall, a login wall, rate limiting, a site down). */
  obstacle?(): Promise<Obstacle | null>;
  close(): Promise<void>;
}

export interface RolloutDeps {
  openBrowser(): Promise<AgentBrowser>;
  llm: LlmClient;
  prompt: Prompt;
  blobs: BlobStore | null;
  config: RolloutConfig;
  now(): number;
}

export function agentVersion(deps: Pick<RolloutDeps, 'llm' | 'prompt'>): string {
  return `${deps.llm.model}@${deps.prompt.id}`;
}

/**
 * The actions that did something to the page: not an answer, not a wait (waiting for a slow page is not
 * progress, and an agent that counts its actions must not think it is), and not one that failed.
 */
export const actionsTaken = (steps: Step[]) =>
  steps.filter((s) => s.action && s.action.kind !== 'answer' && s.action.kind !== 'wait' && s.result?.ok).length;

/** The acted-on element's box in the screenshot's coordinates (the viewport's), from the observation. */
export function targetBoxOf(observation: Observation, action: Action): Step['targetBox'] {
  const element = action.elementId === null ? undefined : observation.elements.find((e) => e.id === action.elementId);
  if (!element) return null;
  const { x, y, width, height } = element.box;
  return {
    x,
    y: y - observation.facts.scrollY,
    width,
    height,
    viewportWidth: observation.facts.viewportWidth,
    viewportHeight: observation.facts.viewportHeight,
  };
}

/** A task's step limit: an exploration stops after a few pages more than it asks for, whatever the setting. */
export const stepLimit = (task: Task, maxSteps: number) =>
  task.kind === 'explore' ? Math.min(maxSteps, EXPLORE_MAX_PAGES + 2) : maxSteps;

/** One of a task's attempts (best-of-n): which, and of how many. */
export interface Attempt {
  index: number;
  of: number;
}

export const ONE_ATTEMPT: Attempt = { index: 0, of: 1 };

/** How many attempts a task gets: an exploration, or a task of an earlier round than the setting names, one. */
export function attemptsFor(task: Task, config: Pick<RolloutConfig, 'attempts' | 'attemptsFromRound'>): number {
  if (task.kind === 'explore') return 1;
  return (task.lineage?.round ?? 0) >= config.attemptsFromRound ? config.attempts : 1;
}

/** Each attempt's own sampling seed, fixed by the task: a redelivered attempt samples as its first run did. */
export function attemptSeed(taskId: string, index: number): number {
  return (
    Number.parseInt(createHash('sha256').update(`${taskId}|attempt|${index}`).digest('hex').slice(0, 8), 16) &
    0x7fffffff
  );
}

export async function runTrajectory(
  task: Task,
  deps: RolloutDeps,
  signal: AbortSignal,
  attempt: Attempt = ONE_ATTEMPT,
): Promise<Trajectory> {
  const { config } = deps;
  const version = agentVersion(deps);
  // A task run once keeps the id it always had; each of several attempts is a trajectory of its own.
  const trajectoryId =
    attempt.of === 1
      ? stableId('traj', task.taskId, version)
      : stableId('traj', task.taskId, version, 'attempt', attempt.index);
  const sampling =
    attempt.of === 1
      ? undefined
      : { temperature: config.attemptTemperature, seed: attemptSeed(task.taskId, attempt.index) };
  // A task redelivered after a crash or rebalance runs again: same trajectory, a run told apart by this.
  const runId = `run_${randomUUID()}`;
  const startedAtMs = deps.now();
  const steps: Step[] = [];
  let usage: TokenUsage = zeroUsage();
  let status: Trajectory['status'] = 'step_limit';
  let statusReason: string | null = null;
  let finalAnswer: string | null = null;
  let finalObservation: Observation | null;
  let startGuardEvents: Step['guardEvents'];
  const browser = await deps.openBrowser();
  // Set when the site made the task impossible: the trajectory ends blocked, marked not executable.
  let notExecutable: Obstacle | null = null;
  // Never fails a trajectory: a page that cannot be read for obstacles is one that shows none.
  const readObstacle = async () => (browser.obstacle ? await browser.obstacle().catch(() => null) : null);
  try {
    const opened = await browser.goto(task.startUrl);
    // The site cannot be done (down, closed by robots.txt, a CAPTCHA or login wall…): the agent is not asked.
    if (!browser.stopped)
      notExecutable = obstacleOfLoadError(opened.error) ?? (opened.ok ? await readObstacle() : null);
    // What the start page did (a download, dialogs, a popup storm, a consent popup refused) before any
    // step: kept on the trajectory.
    startGuardEvents = guardEventsSince(0);
    if (browser.stopped) {
      status = 'error';
      statusReason = browser.stopped; // its prefix (hung:, timeout:, memory:) is the documented reason
    } else if (notExecutable) {
      // ends blocked and not executable: set after the steps, as for an obstacle reached mid-way
    } else if (!opened.ok) {
      const blocked =
        opened.error?.startsWith('blocked') ||
        browser.guardEvents.some((e) => e.kind === 'request_blocked' && e.url === task.startUrl);
      status = blocked ? 'blocked' : 'error';
      statusReason = `the start page did not load: ${opened.error}`;
    } else {
      let consecutiveErrors = 0;
      const signatures: string[] = [];
      for (let index = 0; index < stepLimit(task, config.maxSteps); index += 1) {
        if (signal.aborted) throw signal.reason;
        if (browser.stopped) {
          status = 'error';
          statusReason = browser.stopped;
          break;
        }
        if (browser.remainingMs <= 0) {
          status = 'error';
          statusReason = `timeout: the trajectory's time limit ran out after ${index} steps`;
          break;
        }
        const step = await inSpan(
          SPANS.step,
          { attributes: { [ATTRS.step]: index, [ATTRS.taskId]: task.taskId } },
          () => runStep(index),
        );
        steps.push(step);
        usage = addUsage(usage, step.usage);
        if (browser.stopped) {
          status = 'error';
          statusReason = browser.stopped;
          break;
        }
        // A page the agent reached that cannot be done (a challenge mid-way, the site rate limiting it).
        const eventsBefore = browser.guardEvents.length;
        const reached = step.result?.navigated ? await readObstacle() : null;
        // What reading the page did (a consent popup refused) belongs to the step that reached it.
        step.guardEvents.push(...guardEventsSince(eventsBefore));
        if (reached) {
          notExecutable = reached;
          break;
        }
        if (step.action?.kind === 'answer') {
          status = 'answered';
          finalAnswer = step.action.value ?? '';
          break;
        }
        consecutiveErrors = step.error || !step.result?.ok ? consecutiveErrors + 1 : 0;
        if (step.error && consecutiveErrors >= config.maxConsecutiveErrors) {
          status = 'error';
          statusReason = `${consecutiveErrors} failed steps in a row; last: ${step.error}`;
          break;
        }
        // The same action on an unchanged page, again and again, is a loop.
        signatures.push(loopSignature(step));
        const recent = signatures.slice(-config.loopRepeats);
        if (recent.length === config.loopRepeats && recent.every((s) => s === recent[0])) {
          status = 'error';
          statusReason = `loop: ${describeAction(step.action)} repeated ${config.loopRepeats} times on an unchanged page`;
          break;
        }
      }
      if (status === 'step_limit') statusReason = `no answer after ${stepLimit(task, config.maxSteps)} steps`;
    }
    if (notExecutable) {
      status = 'blocked';
      statusReason = `${notExecutable.reason}: ${notExecutable.detail}`;
    }
    // A stopped browser has nothing to show (and a halted page would only make the slot wait).
    finalObservation = browser.stopped ? null : await browser.observe().catch(() => null);
  } finally {
    await browser.close();
  }
  return {
    trajectoryId,
    runId,
    task,
    agentVersion: version,
    steps,
    finalAnswer,
    finalUrl: finalObservation?.facts.url ?? steps.at(-1)?.result?.url ?? task.startUrl,
    finalObservation: finalObservation?.text ?? '',
    finalObservationRef: null,
    status,
    statusReason,
    notExecutable,
    startedAtMs,
    endedAtMs: deps.now(),
    usage,
    attempt: attempt.index,
    attempts: attempt.of,
    startGuardEvents,
    agentSettings: {
      model: deps.llm.model,
      prompt: deps.prompt.id,
      ...deps.llm.settings,
      ...(sampling ? { temperature: String(sampling.temperature), seed: String(sampling.seed) } : {}),
      maxSteps: String(config.maxSteps),
      historySteps: String(config.historySteps),
      loopRepeats: String(config.loopRepeats),
      maxConsecutiveErrors: String(config.maxConsecutiveErrors),
      ...(browser.robotsPolicy ? { robots: browser.robotsPolicy } : {}),
    },
  };

  function guardEventsSince(start: number): Step['guardEvents'] {
    return browser.guardEvents.slice(start).map(({ kind, detail, url, atMs }) => ({ kind, detail, url, atMs }));
  }

  async function runStep(index: number): Promise<Step> {
    const startedAt = deps.now();
    const step: Step = {
      index,
      url: '',
      title: '',
      observation: '',
      observationRef: null,
      screenshotRef: null,
      llmOutput: '',
      prompt: null,
      promptRef: null,
      action: null,
      result: null,
      error: null,
      startedAtMs: startedAt,
      observeMs: 0,
      llmMs: 0,
      actMs: 0,
      usage: zeroUsage(),
      targetBox: null,
      guardEvents: [],
    };
    // What the guard did from here to the end of the action is this step's.
    const guardEventsBefore = browser.guardEvents.length;
    let t = Date.now();
    let observation: Observation;
    try {
      observation = await inSpan(SPANS.observe, {}, () => browser.observe());
    } catch (error) {
      step.error = `observation failed: ${errorMessage(error)}`;
      step.guardEvents = guardEventsSince(guardEventsBefore);
      return step;
    }
    step.observeMs = Date.now() - t;
    step.url = observation.facts.url;
    step.title = observation.facts.title;
    step.observation = observation.text;
    // The screenshot is taken while the LLM thinks (the page does not change before the action), so it
    // adds no latency to the step. A page that cannot be captured is not a failed step; a blob store that
    // stays unreachable past its retry deadline fails the trajectory (retriably), so no committed record
    // refers to a screenshot that was never stored. Named by content: a redelivered step writes nothing new.
    const blobs = deps.blobs;
    const screenshot: Promise<{ ref: string | null } | { error: unknown }> =
      blobs && config.screenshots
        ? browser
            .screenshot()
            .then(
              (jpeg) => jpeg,
              () => null,
            )
            .then((jpeg) => (jpeg ? blobs.putContent('screenshots', jpeg, 'image/jpeg', 'jpg') : null))
            .then(
              (ref) => ({ ref }),
              (error: unknown) => ({ error }),
            )
        : Promise.resolve({ ref: null });
    t = Date.now();
    try {
      const messages = deps.prompt.render({
        instruction: task.instruction,
        step: index + 1,
        maxSteps: stepLimit(task, config.maxSteps),
        actionsTaken: actionsTaken(steps),
        history: formatHistory(steps, config.historySteps),
        observation: observation.text,
      });
      // Recorded as sent: the training example is built from this, never rendered again.
      step.prompt = messages.map((m) => ({ role: m.role, content: m.content }));
      const reply = await deps.llm.complete({
        messages,
        schema: AgentOutput,
        schemaName: 'AgentAction',
        signal,
        ...(sampling ? { sampling } : {}),
      });
      step.llmOutput = reply.raw;
      step.usage = reply.usage;
      const a = reply.value.action;
      step.action = { kind: a.kind, elementId: a.elementId ?? null, value: a.value ?? null, submit: a.submit ?? false };
    } catch (error) {
      if (error instanceof LlmOutputError) {
        step.llmOutput = error.raw;
        step.usage = error.usage;
      } else if (error instanceof LlmCallError) {
        step.usage = error.usage;
      } else if (signal.aborted) {
        throw error;
      }
      step.error = `LLM: ${errorMessage(error)}`;
    }
    step.llmMs = Date.now() - t;
    const stored = await screenshot;
    if ('error' in stored) throw stored.error;
    step.screenshotRef = stored.ref;
    if (step.action && step.action.kind !== 'answer') {
      step.targetBox = targetBoxOf(observation, step.action);
      t = Date.now();
      const action = step.action;
      step.result = await inSpan(SPANS.act, { attributes: { [ATTRS.action]: describeAction(action) } }, () =>
        browser.act(action),
      );
      step.actMs = Date.now() - t;
    }
    step.guardEvents = guardEventsSince(guardEventsBefore);
    return step;
  }
}

/**
 * What makes two steps the same for loop detection: the page and the action, with element numbers taken
 * out. Elements are numbered afresh by every observation, so "click [45]" then "click [63]" on the same
 * page is one action repeated; the element is named by its line in the observation instead.
 */
export function loopSignature(step: Pick<Step, 'observation' | 'action'>): string {
  const page = step.observation.replace(/^(\s*)\[\d+\]/gm, '$1[]');
  const id = step.action?.elementId;
  const element =
    id === null || id === undefined
      ? ''
      : (new RegExp(`^\\s*\\[${id}\\] (.*)$`, 'm').exec(step.observation)?.[1] ?? `#${id}`);
  const action = step.action ? { ...step.action, elementId: null } : null;
  return `${createHash('sha1').update(page).digest('hex')}|${describeAction(action)}|${element}`;
}
