// The OpenTelemetry SDK of a process: spans are always recorded so the context propagates; they are
// exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, by the protocol
// OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL names: grpc, http/protobuf (the specification's default) or
// http/json. The exporters read the other OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression,
// certificates) as the SDK documents. Apart from platform/telemetry.ts (the API side) because the SDK and
// its exporters take seconds to load: only a process that starts tracing loads them.
import { webtrailVersion } from './version.ts';
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { UserInputError } from './errors.ts';

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
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: `webtrail-${serviceName}`,
        [ATTR_SERVICE_VERSION]: webtrailVersion,
      }),
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
    tracer: trace.getTracer('webtrail', webtrailVersion),
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
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[name] ?? 'http/protobuf').trim();
  switch (protocol) {
    case 'grpc':
      return new OtlpGrpcExporter();
    case 'http/protobuf':
      return new OtlpHttpProtobufExporter();
    case 'http/json':
      return new OtlpHttpJsonExporter();
    default:
      throw new UserInputError(
        `invalid configuration: ${name}: '${protocol}' is not an OTLP protocol; one of ${OTLP_PROTOCOLS.join(', ')}`,
      );
  }
}
