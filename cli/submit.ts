// webtrail submit <file|->: puts the good, distinct sites of a list on webtrail.sites.
import { Partitioners } from 'kafkajs';
import { readFile } from 'node:fs/promises';
import { type Site, TOPICS } from '../schemas/index.ts';
import { listedDomain, loadDomainLists, UserInputError } from '../platform/index.ts';
import { loadBrowserConfig } from '../browser/index.ts';
import { ensureTopics, openKafkaSession, RecordProducer } from '../bus/index.ts';
import { parseSiteList, type ParsedSiteList, type SiteListProblem } from './siteList.ts';

export async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserInputError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`,
    );
  }
}

export interface SubmitSummary extends ParsedSiteList {
  submitted: number;
  /** Sites the operator's suppression list names: never submitted. */
  suppressed: SiteListProblem[];
}

export async function submitSites(
  text: string,
  options: { source: string; strict?: boolean; again?: boolean; progress?: (done: number, total: number) => void },
): Promise<SubmitSummary> {
  const all = parseSiteList(text);
  // Opted-out sites are refused here already, so they never reach the topic (the generator refuses them too).
  const suppression = await loadDomainLists(loadBrowserConfig().suppressionList, 'WEBTRAIL_SUPPRESSION_LIST');
  const suppressed: SiteListProblem[] = [];
  const sites = all.sites.filter((s) => {
    const listed = listedDomain(s.domain, suppression);
    if (listed)
      suppressed.push({
        line: s.line,
        text: s.url,
        reason: `${listed} is on the suppression list (WEBTRAIL_SUPPRESSION_LIST)`,
      });
    return !listed;
  });
  const parsed = { ...all, sites, suppressed };
  if (options.strict && parsed.bad.length > 0) return { ...parsed, submitted: 0 };
  if (parsed.sites.length === 0) return { ...parsed, submitted: 0 };
  const session = await openKafkaSession();
  const producer = session.kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await ensureTopics(session.admin);
    await producer.connect();
    const records = new RecordProducer(producer, session.codec, { lingerMs: 5, maxBatchRecords: 1000 });
    const now = Date.now();
    let done = 0;
    const chunkSize = 1000;
    for (let i = 0; i < parsed.sites.length; i += chunkSize) {
      const chunk = parsed.sites.slice(i, i + chunkSize);
      await records.send(
        await Promise.all(
          chunk.map((s) => {
            const site: Site = {
              domain: s.domain,
              url: s.url,
              submittedAtMs: now,
              source: options.source,
              again: options.again ?? false,
            };
            return records.encode({ topic: TOPICS.sites.name, key: s.domain, schema: 'Site', value: site });
          }),
        ),
      );
      done += chunk.length;
      options.progress?.(done, parsed.sites.length);
    }
    return { ...parsed, submitted: done };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await session.close();
  }
}
