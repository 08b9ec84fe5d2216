// Schema compatibility as the Confluent Schema Registry defines its levels, by Avro schema resolution
// (avsc's resolver): BACKWARD — the new schema reads what the latest wrote; FORWARD — the latest reads what
// the new one writes; FULL — both; *_TRANSITIVE — against every earlier version, not only the latest.
// The local registry checks registrations with it, and the project's schema-evolution test uses the same rule.
import avro from 'avsc';

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/** Why records written with `writer` cannot be read with `reader`, or null when they can. */
export function readProblem(reader: avro.Type, writer: avro.Type): string | null {
  try {
    reader.createResolver(writer);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Why `candidate` may not be registered after `earlier` (oldest first) under `level`: one message per
 * version it breaks, empty when it may.
 */
export function compatibilityProblems(
  level: CompatibilityLevel,
  candidate: avro.Type,
  earlier: Array<{ version: number; type: avro.Type }>,
): string[] {
  if (level === 'NONE' || earlier.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? earlier : earlier.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const problems: string[] = [];
  for (const { version, type } of against) {
    const reads = backward ? readProblem(candidate, type) : null;
    if (reads) problems.push(`the new schema cannot read data written with version ${version} (${level}): ${reads}`);
    const readBy = forward ? readProblem(type, candidate) : null;
    if (readBy) problems.push(`version ${version} cannot read data written with the new schema (${level}): ${readBy}`);
  }
  return problems;
}
