// OpenTelemetry as the code sees it: one trace per trajectory, carried between services in Kafka headers
// (W3C traceparent). Span and attribute names are declared here, once. Only the OpenTelemetry API is used
// here; the SDK that records and exports spans is started by each process in platform/telemetrySdk.ts.
import { webtrailVersion } from './version.ts';
import {
  context,
  propagation,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { type Headers, headerString } from '../schemas/index.ts';

export const SPANS = {
  handle: (service: string) => `${service}.handle`,
  task: 'generator.task',
  followUp: 'refiner.task',
  step: 'rollout.step',
  observe: 'rollout.observe',
  llm: 'llm.call',
  act: 'rollout.act',
  judge: 'judge.score',
  sink: 'sink.write',
} as const;

/** Attribute names; the messaging ones as the OpenTelemetry semantic conventions (v1.3x) name them. */
export const ATTRS = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  consumerGroup: 'messaging.consumer.group.name',
  topic: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  key: 'messaging.kafka.message.key',
  attempt: 'webtrail.attempt',
  taskId: 'webtrail.task_id',
  trajectoryId: 'webtrail.trajectory_id',
  domain: 'webtrail.domain',
  step: 'webtrail.step',
  action: 'webtrail.action',
  promptTokens: 'gen_ai.usage.input_tokens',
  completionTokens: 'gen_ai.usage.output_tokens',
  model: 'gen_ai.request.model',
} as const;

export function tracer(): Tracer {
  return trace.getTracer('webtrail', webtrailVersion);
}

/** The trace context carried by a Kafka record's headers (root when none). */
export function extractTraceContext(headers: Headers | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = headerString(headers, name);
    if (value) carrier[name] = value;
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Headers that carry a trace context to the next service. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * Starts the trace of a new task: one trace per trajectory, so each task gets a root span of its own,
 * linked to the span that made it (the site's screening, the verdict a follow-up came from). Returns the
 * headers that carry that trace to the rollout.
 */
export function newTaskTrace(
  name: string,
  attributes: Record<string, string | number | boolean>,
): Record<string, string> {
  const from = trace.getActiveSpan()?.spanContext();
  const span = tracer().startSpan(
    name,
    { root: true, links: from ? [{ context: from }] : [], attributes },
    ROOT_CONTEXT,
  );
  span.end();
  return traceHeaders(trace.setSpan(ROOT_CONTEXT, span));
}

/** Runs fn inside a span that records errors and always ends. */
export async function inSpan<T>(
  name: string,
  options: { attributes?: Record<string, string | number | boolean>; kind?: SpanKind; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

export { SpanKind, context, trace, ROOT_CONTEXT };
export type { Context, Span };
