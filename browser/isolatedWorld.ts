// Runs our in-page scripts in an isolated world of the page's main frame (Chromium's DevTools protocol):
// the same DOM, but its own globals and prototypes, so page scripts can neither read what we keep there
// (the element id map) nor lie to us by patching DOM methods. One world per document, kept until the
// document goes away; then a new one is made on next use.
import type { CDPSession, Page } from 'playwright-core';
import type { PageDevtools } from './pageDevtools.ts';
import { retry } from '../platform/index.ts';

interface PageWorld {
  cdp: CDPSession;
  contextId?: number;
}

export class IsolatedWorld {
  private readonly worlds = new WeakMap<Page, Promise<PageWorld>>();

  constructor(
    private readonly devtools: PageDevtools,
    private readonly name: string,
  ) {}

  private world(page: Page): Promise<PageWorld> {
    let world = this.worlds.get(page);
    if (!world) {
      world = this.devtools.session(page).then((cdp) => ({ cdp }));
      this.worlds.set(page, world);
    }
    return world;
  }

  private async contextId(world: PageWorld): Promise<number> {
    if (world.contextId !== undefined) return world.contextId;
    const { frameTree } = (await world.cdp.send('Page.getFrameTree')) as { frameTree: { frame: { id: string } } };
    const created = (await world.cdp.send('Page.createIsolatedWorld', {
      frameId: frameTree.frame.id,
      worldName: this.name,
      grantUniveralAccess: false,
    })) as { executionContextId: number };
    world.contextId = created.executionContextId;
    return world.contextId;
  }

  /** Evaluates an expression in the isolated world and returns its value (JSON-serialisable). */
  async evaluate<T>(page: Page, expression: string): Promise<T> {
    const world = await this.world(page);
    return retry(
      async () => {
        const contextId = await this.contextId(world);
        const reply = (await world.cdp.send('Runtime.evaluate', {
          expression,
          contextId,
          returnByValue: true,
          awaitPromise: true,
        })) as {
          result: { value?: unknown };
          exceptionDetails?: { text: string; exception?: { description?: string } };
        };
        if (reply.exceptionDetails)
          throw new Error(reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text);
        return reply.result.value as T;
      },
      {
        // The document this world belonged to is gone (a navigation): make a world in the new one.
        what: 'evaluating in the isolated world',
        attempts: 3,
        baseMs: 0,
        retriable: (error) =>
          /Cannot find context|context was destroyed|Execution context was destroyed|No frame/i.test(
            (error as Error).message,
          ),
        onRetry: () => void (world.contextId = undefined),
      },
    );
  }
}
