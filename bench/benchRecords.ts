// Records for the bus benchmark: each instant stage turns its input into the next topic's record at
// once, carrying the time the site was submitted so the last hop can measure end-to-end latency.
import type { Site, Task, TrainingExample, Trajectory, Verdict, TokenUsage, Step } from '../schemas/index.ts';

const noUsage = (): TokenUsage => ({ calls: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0 });

/** A step the sink turns into a training example: a valid agent output that ran. */
export function benchStep(index: number, url: string): Step {
  return {
    index,
    url,
    title: 'Bench',
    observation: `# Bench page ${index}\n[1] link "Next"\n[2] textbox "Search"`,
    observationRef: null,
    promptRef: null,
    screenshotRef: null,
    llmOutput: JSON.stringify({
      thought: 'Go on.',
      action: { kind: 'click', elementId: 1, value: null, submit: false },
    }),
    prompt: [
      { role: 'system', content: 'You are a web agent. Reply with JSON.' },
      { role: 'user', content: `Task: Bench task\n\n# Bench page ${index}\n[1] link "Next"\n[2] textbox "Search"` },
    ],
    action: { kind: 'click', elementId: 1, value: null, submit: false },
    result: { ok: true, error: null, navigated: true, newTab: false, url },
    error: null,
    startedAtMs: 0,
    observeMs: 1,
    llmMs: 1,
    actMs: 1,
    usage: { calls: 1, promptTokens: 500, completionTokens: 30, latencyMs: 1 },
    targetBox: null,
    guardEvents: [],
  };
}

export const toTask = (site: Site): Task => ({
  taskId: `task-${site.domain}`,
  domain: site.domain,
  startUrl: site.url,
  instruction: 'Bench task',
  steps: [],
  successCriteria: [],
  generatorVersion: 'bench@generator',
  createdAtMs: site.submittedAtMs,
  usage: noUsage(),
  lineage: null,
  submissionId: '',
  kind: 'task',
});

export const toTrajectory = (task: Task, steps = 1): Trajectory => ({
  trajectoryId: `traj-${task.taskId}`,
  runId: `run-${task.taskId}`,
  task,
  agentVersion: 'bench@agent.v1',
  steps: Array.from({ length: steps }, (_, i) => benchStep(i, task.startUrl)),
  finalAnswer: 'done',
  finalUrl: task.startUrl,
  finalObservation: '# Done',
  finalObservationRef: null,
  status: 'answered',
  statusReason: null,
  notExecutable: null,
  startedAtMs: task.createdAtMs,
  endedAtMs: task.createdAtMs,
  usage: noUsage(),
  agentSettings: {},
  attempt: 0,
  attempts: 1,
  startGuardEvents: [],
});

export const toVerdict = (trajectory: Trajectory, judgeVersion = 'bench@judge.v1'): Verdict => ({
  verdictId: `verdict-${trajectory.trajectoryId}-${judgeVersion}`,
  trajectoryId: trajectory.trajectoryId,
  judgeVersion,
  success: 1,
  efficiency: 1,
  selfCorrection: 1,
  reasoning: 'bench',
  judgedAtMs: trajectory.startedAtMs,
  usage: noUsage(),
  trajectory,
  refine: false,
});

export const toExample = (verdict: Verdict): TrainingExample => ({
  exampleId: `ex-${verdict.verdictId}`,
  trajectoryId: verdict.trajectoryId,
  runId: verdict.trajectory.runId,
  taskId: verdict.trajectory.task.taskId,
  domain: verdict.trajectory.task.domain,
  step: 0,
  judgeVersion: verdict.judgeVersion,
  agentVersion: verdict.trajectory.agentVersion,
  generatorVersion: verdict.trajectory.task.generatorVersion,
  messages: [{ role: 'assistant', content: verdict.trajectory.steps[0]?.llmOutput ?? '' }],
  success: 1,
  efficiency: 1,
  selfCorrection: 1,
  createdAtMs: verdict.judgedAtMs,
  tokens: 0,
  round: 0,
  parentTaskId: '',
  attempts: 1,
  attempt: 0,
});
