// Deterministic ids: a hash of what makes a record what it is, so a redelivered message yields the same ids.
import { createHash } from 'node:crypto';

export function stableId(prefix: string, ...parts: Array<string | number>): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}
