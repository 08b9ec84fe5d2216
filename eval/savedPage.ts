// A page held as HTML text (a dataset's saved page) opened offline as the agent sees pages: written to a
// private folder, served on 127.0.0.1, observed with every outside request blocked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserPool, observeSnapshot, serveDirectory } from '../browser/index.ts';
import type { StepPage } from './mind2web.ts';

export async function openSavedHtml(pool: BrowserPool, html: string): Promise<StepPage> {
  const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-page-'));
  const file = path.join(dir, 'page.html');
  writeFileSync(file, html);
  const server = await serveDirectory(dir);
  try {
    const url = server.urlFor(file);
    // One step, one observation: no action can open a collapsed group of links, so every group is listed.
    const { session, observation } = await observeSnapshot(pool, url, new URL(url).host, undefined, {
      collapseGroups: false,
    });
    return {
      text: observation.text,
      backendNodeId: (id) => session.attributeOf(id, 'backend_node_id'),
      close: async () => {
        await session.close();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
