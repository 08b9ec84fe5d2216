// Opens a URL in a fresh session and observes it: what the generator needs of a site's home page.
import type { BrowserPool } from './browserPool.ts';
import type { Observation } from './observation.ts';

export interface OpenedPage {
  ok: boolean;
  error: string | null;
  /** The guard refused the page itself (not just a resource). */
  blocked: boolean;
  observation: Observation | null;
}

export async function openAndObserve(pool: BrowserPool, url: string): Promise<OpenedPage> {
  const session = await pool.newSession();
  try {
    const result = await session.goto(url);
    const blocked = session.guardEvents.some(
      (e) => e.kind === 'request_blocked' && (e.url === url || result.error?.startsWith('blocked')),
    );
    if (!result.ok && (blocked || !/Timeout/.test(result.error ?? '')))
      return { ok: false, error: result.error, blocked, observation: null };
    // A page that held its renderer (hung:, memory:) is a site that cannot be screened, not a failure to retry.
    if (session.stopped) return { ok: false, error: session.stopped, blocked: false, observation: null };
    const observation = await session.observe().catch((error: unknown) => {
      if (session.stopped) return null;
      throw error;
    });
    if (!observation) return { ok: false, error: session.stopped, blocked: false, observation: null };
    if (/^chrome-error:/.test(observation.facts.url))
      return { ok: false, error: result.error ?? 'the page did not load', blocked: false, observation: null };
    return { ok: true, error: null, blocked: false, observation };
  } finally {
    await session.close();
  }
}
