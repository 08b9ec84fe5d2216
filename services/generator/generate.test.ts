// The generator's screening before any visit: a site on the operator's suppression list or on the
// blocklist is refused without opening its page or calling the model; a proposed task that needs a login,
// a payment or changing other people's data is dropped.
import { describe, expect, it } from 'vitest';
import { loadPrompt, type LlmClient } from '../../llm/index.ts';
import type { Site } from '../../schemas/index.ts';
import { loadGeneratorConfig } from './config.ts';
import { generateForSite, type GeneratorDeps } from './generate.ts';

const usage = { calls: 1, promptTokens: 10, completionTokens: 5, latencyMs: 1 };
const site = (domain: string): Site => ({
  domain,
  url: `https://${domain}/`,
  submittedAtMs: 1,
  source: 'test',
  again: false,
});

/** A model that finds every site safe and proposes what it is given; counts its calls. */
function world(proposed: object[], options: { suppressed?: string[]; blocklist?: Set<string> } = {}) {
  const calls: string[] = [];
  const opened: string[] = [];
  const llm: LlmClient = {
    model: 'test-model',
    async complete(request) {
      calls.push(request.schemaName);
      const value =
        request.schemaName === 'Screening' ? { safe: true, category: 'shop', reason: 'fine' } : { tasks: proposed };
      return { value: request.schema.parse(value), raw: JSON.stringify(value), usage };
    },
  };
  const config = { ...loadGeneratorConfig({}), blocklist: options.blocklist ?? new Set<string>() };
  const deps: GeneratorDeps = {
    openHomePage: async (url) => {
      opened.push(url);
      return { ok: true, error: null, blocked: false, observation: { text: '# Home', facts: {} } as never };
    },
    suppressed: async () => new Set(options.suppressed ?? []),
    llm,
    screenPrompt: loadPrompt('screen', 'v1'),
    proposePrompt: loadPrompt('propose', 'v1'),
    config,
    now: () => 1000,
  };
  return { deps, calls, opened };
}

const task = (instruction: string, flags: Record<string, boolean> = {}) => ({
  instruction,
  startUrl: '/',
  steps: ['Do it'],
  successCriteria: ['Done'],
  requiresLogin: false,
  requiresPayment: false,
  changesOthersData: false,
  ...flags,
});

describe('the generator before any visit', () => {
  it('refuses a site on the suppression list, and its subdomains, without opening a page or asking the model', async () => {
    const { deps, calls, opened } = world([task('Find the price of tea')], { suppressed: ['optout.example'] });
    for (const domain of ['optout.example', 'shop.optout.example']) {
      const result = await generateForSite(site(domain), deps, new AbortController().signal);
      expect(result).toMatchObject({
        kind: 'rejected',
        rejection: {
          reason: 'blocked',
          category: 'suppressed',
          detail: expect.stringMatching(/^optout\.example is on the operator's suppression list/),
        },
      });
    }
    expect(opened).toEqual([]);
    expect(calls).toEqual([]);
    // Another site goes on as before.
    expect((await generateForSite(site('other.example'), deps, new AbortController().signal)).kind).toBe('tasks');
    expect(opened).toEqual(['https://other.example/']);
  });

  it('rejects a blocklisted site as unsafe before any visit, with no strict mode needed', async () => {
    const { deps, calls, opened } = world([task('Find the price of tea')], { blocklist: new Set(['bad.example']) });
    const result = await generateForSite(site('www.shop.bad.example'), deps, new AbortController().signal);
    expect(result).toMatchObject({
      kind: 'rejected',
      rejection: {
        reason: 'unsafe',
        category: 'blocklisted',
        detail: 'bad.example is on the blocklist (WEBTRAIL_BLOCKLIST)',
      },
    });
    expect(opened).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('drops every proposed task that needs a login, a payment or changing other people’s data', async () => {
    const { deps } = world([
      task("Delete another member's thread", { changesOthersData: true }),
      task('Order the blue kettle', { requiresPayment: true }),
      task('Read your saved addresses', { requiresLogin: true }),
      task('Find the price of tea'),
    ]);
    const result = await generateForSite(site('shop.example'), deps, new AbortController().signal);
    if (result.kind !== 'tasks') throw new Error(`expected tasks, got ${JSON.stringify(result)}`);
    expect(result.tasks.map((t) => t.instruction)).toEqual(['Find the price of tea']);
    expect(result.dropped.map((d) => d.instruction)).toEqual([
      "Delete another member's thread",
      'Order the blue kettle',
      'Read your saved addresses',
    ]);
  });
});
