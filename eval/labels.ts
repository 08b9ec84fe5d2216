// Ground-truth labels a user supplies: JSON lines of {"trajectoryId": "...", "success": true|false|1|0},
// with an optional "runId" when runs of one trajectory (a task rolled out again) are labelled apart.
import { z } from 'zod';
import { readJsonLines } from './jsonLines.ts';

const Label = z
  .object({
    trajectoryId: z.string().min(1),
    runId: z.string().min(1).optional(),
    success: z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((v) => v === true || v === 1),
  })
  .passthrough();

/** Ground truth by trajectory, or by one run of it (a run's own label wins). */
export class Labels {
  constructor(private readonly byKey: Map<string, boolean>) {}

  get size(): number {
    return this.byKey.size;
  }

  of(trajectoryId: string, runId: string | null | undefined): boolean | undefined {
    return (runId ? this.byKey.get(runKey(trajectoryId, runId)) : undefined) ?? this.byKey.get(trajectoryId);
  }
}

/** One run of a trajectory, as labels, verdicts and evaluations key it. */
export const runKey = (trajectoryId: string, runId?: string | null) =>
  runId ? `${trajectoryId}#${runId}` : trajectoryId;

/** Reads a labels file. Every bad line is reported at once, with its number. */
export function readLabels(file: string): Labels {
  const labels = new Map<string, boolean>();
  readJsonLines(file, Label, '{"trajectoryId": string, "runId"?: string, "success": true|false|1|0}', (row) => {
    const key = runKey(row.trajectoryId, row.runId);
    if (labels.has(key)) return `${row.trajectoryId}${row.runId ? ` (run ${row.runId})` : ''} is labelled twice`;
    labels.set(key, row.success);
    return undefined;
  });
  return new Labels(labels);
}
