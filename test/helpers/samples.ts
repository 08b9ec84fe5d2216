// Valid sample records of every schema, for tests.
import type { Site, Task, TokenUsage, Trajectory, Verdict, TrainingExample } from '../../schemas/types.ts';

export const usage = (calls = 1): TokenUsage => ({
  calls,
  promptTokens: 100 * calls,
  completionTokens: 20 * calls,
  latencyMs: 50 * calls,
});

export const site = (domain = 'shop.example.com'): Site => ({
  domain,
  url: `https://${domain}/`,
  submittedAtMs: 1_700_000_000_000,
  source: 'test',
  again: false,
});

export const task = (taskId = 't1'): Task => ({
  taskId,
  domain: 'shop.example.com',
  startUrl: 'https://shop.example.com/',
  instruction: 'Find the price of the blue mug',
  steps: ['search for mug', 'open the blue mug'],
  successCriteria: ['answer states the price'],
  generatorVersion: 'm@gen-v1',
  createdAtMs: 1_700_000_000_000,
  usage: usage(),
  lineage: null,
  submissionId: '',
  kind: 'task',
});

export const trajectory = (taskId = 't1'): Trajectory => ({
  trajectoryId: `traj-${taskId}`,
  runId: `run-${taskId}`,
  task: task(taskId),
  agentVersion: 'm@agent-v1',
  steps: [
    {
      index: 0,
      url: 'https://shop.example.com/',
      title: 'Shop',
      observation: '# Shop\n[1] link "Mugs"',
      observationRef: null,
      promptRef: null,
      screenshotRef: null,
      llmOutput: '{"action":"click","element":1}',
      prompt: [
        { role: 'system', content: 'You are a web agent.' },
        { role: 'user', content: 'Task: Find the price of the blue mug\n\n# Shop\n[1] link "Mugs"' },
      ],
      action: { kind: 'click', elementId: 1, value: null, submit: false },
      result: { ok: true, error: null, navigated: true, newTab: false, url: 'https://shop.example.com/mugs' },
      error: null,
      startedAtMs: 1_700_000_000_000,
      observeMs: 40,
      llmMs: 500,
      actMs: 100,
      usage: usage(),
      targetBox: { x: 10, y: 20, width: 80, height: 24, viewportWidth: 1280, viewportHeight: 720 },
      guardEvents: [],
    },
  ],
  finalAnswer: '$12',
  finalUrl: 'https://shop.example.com/mugs',
  finalObservation: '# Mugs',
  finalObservationRef: null,
  status: 'answered',
  statusReason: null,
  notExecutable: null,
  startedAtMs: 1_700_000_000_000,
  endedAtMs: 1_700_000_010_000,
  usage: usage(),
  agentSettings: { model: 'm', prompt: 'agent.v1' },
  attempt: 0,
  attempts: 1,
  startGuardEvents: [],
});

export const verdict = (taskId = 't1'): Verdict => ({
  verdictId: `v-${taskId}`,
  trajectoryId: `traj-${taskId}`,
  judgeVersion: 'm@judge-v1',
  success: 1,
  efficiency: 0.8,
  selfCorrection: 0.5,
  reasoning: 'The answer matches.',
  judgedAtMs: 1_700_000_020_000,
  usage: usage(),
  trajectory: trajectory(taskId),
  refine: false,
});

export const trainingExample = (): TrainingExample => ({
  exampleId: 'e1',
  trajectoryId: 'traj-t1',
  runId: 'run-t1',
  taskId: 't1',
  domain: 'shop.example.com',
  step: 0,
  judgeVersion: 'm@judge-v1',
  agentVersion: 'm@agent.v1',
  generatorVersion: 'm@screen.v1+propose.v1',
  messages: [
    { role: 'system', content: 'You are a web agent.' },
    { role: 'user', content: 'Task: ...' },
    { role: 'assistant', content: '{"action":"click"}' },
  ],
  success: 1,
  efficiency: 0.8,
  selfCorrection: 0.5,
  createdAtMs: 1_700_000_030_000,
  tokens: 0,
  round: 0,
  parentTaskId: '',
  attempts: 1,
  attempt: 0,
});
