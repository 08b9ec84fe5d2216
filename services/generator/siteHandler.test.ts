import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { ScreenedSite } from '../../schemas/types.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { inSpan } from '../../platform/telemetry.ts';
import { site, task } from '../../test/helpers/samples.ts';
import type { GeneratorResult } from './generate.ts';
import { handleSite, type SiteHandlerDeps } from './siteHandler.ts';

const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const VERSION = 'm@screen.v1+propose.v1';
const signal = new AbortController().signal;

function depsAnswering(result: GeneratorResult): SiteHandlerDeps & { generated: string[] } {
  const generated: string[] = [];
  return {
    generated,
    generatorVersion: VERSION,
    now: () => 5_000,
    generate: async (s) => {
      generated.push(s.domain);
      return result;
    },
  };
}

const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];

describe('the generator with one site', () => {
  it('sends the tasks, each starting its own trace linked to the site, and the screening record last', async () => {
    const deps = depsAnswering({ kind: 'tasks', tasks: [task('t1'), task('t2')], dropped: [] });
    const { outcome, siteTraceId } = await inSpan('generator.handle', {}, async (span) => ({
      outcome: await handleSite(site(), undefined, deps, signal),
      siteTraceId: span.spanContext().traceId,
    }));
    // Tasks are keyed by their site (one partition owner paces it), the screening by site and version.
    expect(outcome.records.map((r) => [r.topic, r.key])).toEqual([
      [TOPICS.tasks.name, 'shop.example.com'],
      [TOPICS.tasks.name, 'shop.example.com'],
      [TOPICS.sitesScreened.name, `shop.example.com ${VERSION}`],
    ]);
    expect(outcome.records.map((r) => r.afterOthers === true)).toEqual([false, false, true]);
    expect(outcome.screened).toMatchObject({
      domain: 'shop.example.com',
      generatorVersion: VERSION,
      outcome: 'tasks',
      taskCount: 2,
      screenedAtMs: 5_000,
    });
    // One trace per task: neither the site's trace nor each other's.
    const traces = outcome.records.slice(0, 2).map((r) => traceIdOf(r.headers?.traceparent));
    expect(traces.every((id) => id && /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(new Set([...traces, siteTraceId]).size).toBe(3);
    const roots = spans.getFinishedSpans().filter((s) => s.name === 'generator.task');
    expect(roots.map((s) => s.attributes['webtrail.task_id'])).toEqual(['t1', 't2']);
    for (const root of roots) expect(root.links.map((l) => l.context.traceId)).toEqual([siteTraceId]);
  });

  it('sends a rejection and the screening record, and no task', async () => {
    const deps = depsAnswering({
      kind: 'rejected',
      rejection: {
        domain: 'casino.example.com',
        url: 'https://casino.example.com/',
        reason: 'unsafe',
        detail: 'gambling',
        category: 'gambling',
        rejectedAtMs: 1,
        generatorVersion: VERSION,
        usage: task().usage,
      },
    });
    const outcome = await handleSite(site('casino.example.com'), undefined, deps, signal);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.records.map((r) => r.topic)).toEqual([TOPICS.sitesRejected.name, TOPICS.sitesScreened.name]);
    expect(outcome.screened).toMatchObject({ domain: 'casino.example.com', outcome: 'rejected', taskCount: 0 });
  });

  it('skips a site this generator version screened before, without screening it again, unless it is submitted again', async () => {
    const known: ScreenedSite = {
      domain: 'shop.example.com',
      generatorVersion: VERSION,
      outcome: 'tasks',
      taskCount: 2,
      screenedAtMs: 100,
      resubmissionsSkipped: 0,
      lastSkippedAtMs: null,
    };
    const deps = depsAnswering({ kind: 'tasks', tasks: [task('t1')], dropped: [] });
    const skipped = await handleSite(site(), known, deps, signal);
    expect(skipped.kind).toBe('skipped');
    expect(deps.generated).toEqual([]);
    expect(skipped.records.map((r) => r.topic)).toEqual([TOPICS.sitesScreened.name]);
    expect(skipped.screened).toEqual({ ...known, resubmissionsSkipped: 1, lastSkippedAtMs: 5_000 });
    const again = await handleSite({ ...site(), again: true }, known, deps, signal);
    expect(again.kind).toBe('tasks');
    expect(deps.generated).toEqual(['shop.example.com']);
  });
});
