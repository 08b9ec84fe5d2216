// Observing a saved page (a snapshot served locally): every outside request blocked, the tab pinned to
// the page. A page whose scripts cannot work here is observed again with scripts off, as the site serves
// browsers without scripts (its <noscript> fallbacks included): when its scripts try to leave it (which
// also halts its parsing), or when one of its script files does not load (refused outside, or not saved
// with it). Half its scripts running would hide the fallbacks and never build what they replace.
import type { BrowserPool } from './browserPool.ts';
import type { BrowserSession } from './browserSession.ts';
import type { Observation } from './observation.ts';

export interface SnapshotObservation {
  observation: Observation;
  session: BrowserSession;
  scripts: boolean;
  error: string | null;
}

/** Opens and observes a locally served snapshot; the caller closes the returned session. */
export async function observeSnapshot(
  pool: BrowserPool,
  url: string,
  allowHost: string,
  maxTokens?: number,
  options: { collapseGroups?: boolean } = {},
): Promise<SnapshotObservation> {
  for (const scripts of [true, false]) {
    const session = await pool.newSession({
      allowHosts: [allowHost],
      blockOutside: true,
      pinFirstPage: true,
      javaScriptEnabled: scripts,
    });
    try {
      const opened = await session.goto(url);
      if (scripts && (session.pinViolations > 0 || session.scriptsFailed > 0)) {
        await session.close();
        continue;
      }
      const observation = await session.observe(maxTokens, options);
      return { observation, session, scripts, error: opened.ok ? null : opened.error };
    } catch (error) {
      await session.close();
      throw error;
    }
  }
  throw new Error('unreachable');
}
