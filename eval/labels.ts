// Ground-truth labels a user supplies: JSON lines of {"trajectoryId": "...", "success": true|false|1|0},
// with an optional "runId" when runs of one trajectory (a task rolled out again) are labelled apart.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserInputError } from '../platform/errors.ts';

const Label = z.object({
  trajectoryId: z.string().min(1),
  runId: z.string().min(1).optional(),
  success: z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((v) => v === true || v === 1),
}).passthrough();

/** Ground truth by trajectory, or by one run of it (a run's own label wins). */
export class Labels {
  constructor(private readonly byKey: Map<string, boolean>) {}

  get size(): number {
    return this.byKey.size;
  }

  of(trajectoryId: string, runId: string | null | undefined): boolean | undefined {
    return (runId ? this.byKey.get(labelKey(trajectoryId, runId)) : undefined) ?? this.byKey.get(trajectoryId);
  }
}

const labelKey = (trajectoryId: string, runId?: string) => (runId ? `${trajectoryId}#${runId}` : trajectoryId);

/** Reads a labels file. Every bad line is reported at once, with its number. */
export function readLabels(file: string): Labels {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserInputError(`--labels ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const labels = new Map<string, boolean>();
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return void problems.push(`line ${i + 1}: not JSON`);
    }
    const parsed = Label.safeParse(value);
    if (!parsed.success) return void problems.push(`line ${i + 1}: expected {"trajectoryId": string, "runId"?: string, "success": true|false|1|0}`);
    const key = labelKey(parsed.data.trajectoryId, parsed.data.runId);
    if (labels.has(key)) return void problems.push(`line ${i + 1}: ${parsed.data.trajectoryId}${parsed.data.runId ? ` (run ${parsed.data.runId})` : ''} is labelled twice`);
    labels.set(key, parsed.data.success);
  });
  if (problems.length) throw new UserInputError(`--labels ${file}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  if (labels.size === 0) throw new UserInputError(`--labels ${file}: no labels in it`);
  return new Labels(labels);
}
