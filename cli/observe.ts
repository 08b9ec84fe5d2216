// webtrail observe <url-or-html-file>...: what the agent would see on each page.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  BrowserPool,
  type BrowserSession,
  type ElementInfo,
  loadBrowserConfig,
  type Observation,
  observeSnapshot,
  serveDirectory,
} from '../browser/index.ts';
import { createLogger, openBlobStore, printable, UserInputError } from '../platform/index.ts';

export interface ObservedPage {
  input: string;
  url: string;
  title: string;
  text: string;
  elements: ElementInfo[];
  tokens: number;
  /** With --store-screenshot: where the blob store put it. */
  screenshotRef?: string;
  error?: string;
}

async function isFile(input: string): Promise<boolean> {
  if (/^https?:\/\//i.test(input)) return false;
  try {
    return (await stat(input)).isFile();
  } catch {
    return false;
  }
}

export async function observeInputs(
  inputs: string[],
  options: { screenshot?: string; storeScreenshot?: boolean; maxTokens?: number },
  emit: (page: ObservedPage) => Promise<void>,
): Promise<void> {
  const pool = new BrowserPool(loadBrowserConfig(), createLogger('observe', process.env.LOG_LEVEL ?? 'fatal'));
  const blobs = options.storeScreenshot ? await openBlobStore() : null;
  try {
    for (const [index, input] of inputs.entries()) {
      const local = await isFile(input);
      if (!local && !/^https?:\/\//i.test(input)) {
        if (/^[a-z]+:/i.test(input))
          throw new UserInputError(`${printable(input, 200)}: only http(s) URLs and local HTML files can be observed`);
        throw new UserInputError(`${printable(input, 200)}: no such file (give an http(s) URL or an HTML file)`);
      }
      if (!local && !URL.canParse(input)) throw new UserInputError(`${printable(input, 200)}: not a valid URL`);
      const server = local ? await serveDirectory(path.dirname(path.resolve(input))) : undefined;
      // A URL typed on the command line is the user's explicit choice: its host is allowed even if local.
      const url = server ? server.urlFor(input) : input;
      const allowHost = new URL(url).host;
      let session: BrowserSession | undefined;
      try {
        let observation: Observation;
        let error: string | null;
        if (server) {
          ({ session, observation, error } = await observeSnapshot(pool, url, allowHost, options.maxTokens));
        } else {
          session = await pool.newSession({ allowHosts: [allowHost] });
          error = (await session.goto(url)).error;
          observation = await session.observe(options.maxTokens);
        }
        const jpeg = options.screenshot || blobs ? await session.screenshot() : null;
        if (options.screenshot) {
          const file =
            inputs.length > 1 ? options.screenshot.replace(/(\.jpe?g)?$/i, `-${index + 1}.jpg`) : options.screenshot;
          await writeFile(file, jpeg!);
        }
        // Stored as the rollout stores a step's screenshot: by content, in the configured blob store.
        const screenshotRef = blobs ? await blobs.putContent('screenshots', jpeg!, 'image/jpeg', 'jpg') : undefined;
        await emit({
          input,
          url: observation.facts.url,
          title: observation.facts.title,
          text: observation.text,
          elements: observation.elements,
          tokens: observation.tokens,
          ...(screenshotRef ? { screenshotRef } : {}),
          ...(error ? { error } : {}),
        });
      } finally {
        await session?.close();
        await server?.close();
      }
    }
  } finally {
    await pool.close();
    await blobs?.close();
  }
}
