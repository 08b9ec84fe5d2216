// What makes a task an LLM proposed unusable, shared by the generator (tasks from a home page) and the
// refiner (follow-up tasks from a judged trajectory): the same rules, so neither lets through what the
// other would drop.
import type { ProposedTask } from './outputs.ts';

const words = (s: string) => new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

/** Jaccard similarity of the word sets: near-duplicate instructions score high. */
export function similarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  const shared = [...x].filter((w) => y.has(w)).length;
  return shared / Math.max(1, x.size + y.size - shared);
}

/** At or above this similarity, two instructions of one site are one task. */
export const NEAR_DUPLICATE = 0.8;

/** The first of a site's instructions that this one repeats (near-duplicate), if any. */
export function nearDuplicateOf(instruction: string, others: Iterable<string>): string | undefined {
  for (const other of others) if (similarity(other, instruction) >= NEAR_DUPLICATE) return other;
  return undefined;
}

const INFEASIBLE =
  /\b(log ?in|sign ?in|password|credit card|debit card|card details|cvv|delete (?:the |your )?account)\b/i;

/** Why a proposed task cannot be used (it needs a login, payment or others' data), or null. */
export function proposedTaskProblem(proposed: ProposedTask): string | null {
  if (proposed.requiresLogin || proposed.requiresPayment || proposed.changesOthersData)
    return 'needs login, payment or changing others’ data';
  if (INFEASIBLE.test(proposed.instruction)) return 'mentions login or payment details';
  return null;
}

/** The proposed start URL when it is on the site's own host; otherwise the site's URL (tasks stay on the site). */
export function startUrlOnSite(proposedStartUrl: string, siteUrl: string): string {
  try {
    const proposedUrl = new URL(proposedStartUrl || siteUrl, siteUrl);
    if (proposedUrl.hostname === new URL(siteUrl).hostname) return proposedUrl.toString();
  } catch {
    // keep the site's URL
  }
  return siteUrl;
}
