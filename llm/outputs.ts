// What each stage asks an LLM for, as zod schemas: validated on every reply, and sent as the JSON
// schema for structured output.
import { z } from 'zod';
import { ActionKindValues } from '../schemas/index.ts';

const score = z.coerce.number().min(0).max(1);

export const ScreeningOutput = z.object({
  safe: z.boolean(),
  category: z.string().default('unknown'),
  reason: z.string().default(''),
});
export type ScreeningOutput = z.infer<typeof ScreeningOutput>;

export const ProposedTask = z.object({
  instruction: z.string().min(8),
  startUrl: z.string().default(''),
  steps: z.array(z.string()).default([]),
  successCriteria: z.array(z.string()).default([]),
  requiresLogin: z.boolean().default(false),
  requiresPayment: z.boolean().default(false),
  changesOthersData: z.boolean().default(false),
});
export type ProposedTask = z.infer<typeof ProposedTask>;
export const ProposalOutput = z.object({ tasks: z.array(ProposedTask) });
export type ProposalOutput = z.infer<typeof ProposalOutput>;

export const AgentOutput = z.object({
  thought: z.string().default(''),
  action: z.object({
    kind: z.enum(ActionKindValues),
    elementId: z.coerce.number().int().nullable().optional(),
    value: z.union([z.string(), z.number()]).transform(String).nullable().optional(),
    submit: z.boolean().optional(),
  }),
});
export type AgentOutput = z.infer<typeof AgentOutput>;

export const JudgeOutput = z.object({
  success: score,
  efficiency: score,
  selfCorrection: score,
  reasoning: z.string().default(''),
});
export type JudgeOutput = z.infer<typeof JudgeOutput>;

/** The refiner's reply: a follow-up task for a judged trajectory, or none (with why). */
export const RefinementOutput = z.object({
  decision: z.enum(['harder', 'repair', 'none']),
  reason: z.string().default(''),
  task: ProposedTask.nullable().default(null),
});
export type RefinementOutput = z.infer<typeof RefinementOutput>;
