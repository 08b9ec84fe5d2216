// Every sandbox site, and lookup of their tasks.
import type { SandboxFollowUp, SandboxSite, SandboxTask } from '../types.ts';
import { casino } from './casino.ts';
import { forum } from './forum.ts';
import { gov } from './gov.ts';
import { hostile } from './hostile.ts';
import { library } from './library.ts';
import { recipes } from './recipes.ts';
import { shop } from './shop.ts';
import { travel } from './travel.ts';

export const SITES: SandboxSite[] = [shop, travel, library, recipes, forum, gov, casino, hostile];

/** Sites submitted by the demo: the realistic ones and the unsafe one (not the hostile pages). */
export const DEMO_SITES = SITES.filter((s) => s.name !== 'hostile');

/**
 * The site a host name serves: `<site>.localhost`, or a mirror of it, `<site>-m<n>.localhost`, which
 * serves the same site under another domain (so a larger run has more distinct sites than the sandbox).
 */
export function siteForHost(host: string): SandboxSite | undefined {
  const match = /^([a-z]+)(?:-m\d+)?\.localhost$/.exec(host.toLowerCase().replace(/:\d+$/, ''));
  return match ? SITES.find((s) => s.name === match[1]) : undefined;
}

/** The name of a site's n-th mirror (n ≥ 1), e.g. shop-m2. */
export const mirrorName = (site: string, n: number) => `${site}-m${n}`;

/** Every task the sandbox can check: those proposed from the home pages and the follow-ups. */
export function allTasks(): Array<SandboxTask & { site: string }> {
  return SITES.flatMap((s) => [...s.tasks, ...(s.followUps ?? [])].map((t) => ({ ...t, site: s.name })));
}

/** The follow-ups the scripted explorer proposes for a site from the pages its exploration saw. */
export function exploredTasksOf(site: SandboxSite, pathsSeen: Set<string>): SandboxFollowUp[] {
  return (site.followUps ?? []).filter((f) => f.after === 'explored' && pathsSeen.has(f.parent));
}

/** The follow-up the scripted refiner offers for a task after its outcome, if the sandbox has one. */
export function followUpOf(
  parentId: string,
  after: 'success' | 'failure',
): (SandboxFollowUp & { site: string }) | undefined {
  for (const s of SITES) {
    const found = s.followUps?.find((f) => f.parent === parentId && f.after === after);
    if (found) return { ...found, site: s.name };
  }
  return undefined;
}

export function findTask(by: { taskId?: string; instruction?: string }): (SandboxTask & { site: string }) | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return allTasks().find(
    (t) => (by.taskId && t.id === by.taskId) || (by.instruction && norm(t.instruction) === norm(by.instruction)),
  );
}
