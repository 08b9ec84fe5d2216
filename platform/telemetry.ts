// OpenTelemetry for every service: one trace per trajectory, carried between services in Kafka headers
// (W3C traceparent). Spans are always recorded so the context propagates; they are exported over OTLP
// only when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, by the protocol
// OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL names: grpc, http/protobuf (the specification's default) or
// http/json. The exporters read the other OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression,
// certificates) as the SDK documents. Span and attribute names are declared here, once.
import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { UserInputError } from './errors.ts';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Headers } from '../schemas/codec.ts';
import { headerString } from '../schemas/codec.ts';

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

export interface Telemetry {
  tracer: Tracer;
  /** Exports the finished spans now (bounded: a collector that is down does not hold the caller up). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let sdk: NodeSDK | undefined;
let exporter: BatchSpanProcessor | undefined;

/** Starts tracing for a process once; exports over OTLP/HTTP when the endpoint is configured. */
export function startTelemetry(serviceName: string, env: Record<string, string | undefined> = process.env): Telemetry {
  if (!sdk) {
    const spanProcessors: SpanProcessor[] = [];
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
      exporter = new BatchSpanProcessor(otlpExporter(env), { scheduledDelayMillis: 500 });
      spanProcessors.push(exporter);
    } else {
      // Without a processor the SDK registers no tracer provider, spans get no ids and no traceparent is
      // written: the trace id each record carries (shown by the dashboard, kept for a later collector) would be lost.
      spanProcessors.push(new NoopSpanProcessor());
    }
    sdk = new NodeSDK({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: `webtrail-${serviceName}`, [ATTR_SERVICE_VERSION]: '0.1.0' }),
      spanProcessors,
      instrumentations: [],
    });
    sdk.start();
  }
  const started = sdk;
  // How long a stage waits for its spans to reach the collector before committing (a slow collector must
  // not hold the pipeline up, and a crash right after a commit it did not wait for loses those spans).
  const flushMs = Math.max(0, Number(env.WEBTRAIL_TRACE_FLUSH_MS ?? 1000) || 1000);
  return {
    tracer: trace.getTracer('webtrail', '0.1.0'),
    flush: async () => {
      if (!exporter) return;
      const flushed = exporter.forceFlush().catch(() => undefined);
      await Promise.race([flushed, new Promise((r) => setTimeout(r, flushMs).unref())]);
    },
    shutdown: async () => {
      await started.shutdown().catch(() => undefined);
      if (sdk === started) {
        sdk = undefined;
        exporter = undefined;
      }
    },
  };
}

export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;

/** The OTLP trace exporter for the configured protocol; a protocol it does not know stops the process. */
export function otlpExporter(env: Record<string, string | undefined>): SpanExporter {
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[name] ?? 'http/protobuf').trim();
  switch (protocol) {
    case 'grpc':
      return new OtlpGrpcExporter();
    case 'http/protobuf':
      return new OtlpHttpProtobufExporter();
    case 'http/json':
      return new OtlpHttpJsonExporter();
    default:
      throw new UserInputError(`invalid configuration: ${name}: '${protocol}' is not an OTLP protocol; one of ${OTLP_PROTOCOLS.join(', ')}`);
  }
}

export function tracer(): Tracer {
  return trace.getTracer('webtrail', '0.1.0');
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
export function newTaskTrace(name: string, attributes: Record<string, string | number | boolean>): Record<string, string> {
  const from = trace.getActiveSpan()?.spanContext();
  const span = tracer().startSpan(name, { root: true, links: from ? [{ context: from }] : [], attributes }, ROOT_CONTEXT);
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
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

export { SpanKind, context, trace, ROOT_CONTEXT };
export type { Context, Span };
