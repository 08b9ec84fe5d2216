// Spans reach a collector by each OTLP protocol the SDK documents, chosen by OTEL_EXPORTER_OTLP_PROTOCOL,
// and a stage's trace context is written whether or not a collector is configured.
import { describe, expect, it } from 'vitest';
import { otlpExporter } from '../platform/telemetrySdk.ts';
import { spawnTs } from '../platform/spawnTs.ts';
import { startOtlpGrpcReceiver, startOtlpReceiver, type OtlpReceiver } from './helpers/otlp.ts';
import { waitFor } from './helpers/kafka.ts';

async function emit(
  env: Record<string, string>,
): Promise<{ code: number | null; traceparent: string; stderr: string }> {
  const child = spawnTs('test/fixtures/emitSpan.ts', {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const headers = stdout.trim() ? (JSON.parse(stdout.trim().split('\n')[0]!) as { traceparent?: string }) : {};
  return { code, traceparent: headers.traceparent ?? '', stderr };
}

describe('tracing over OTLP', () => {
  for (const protocol of ['grpc', 'http/protobuf', 'http/json'] as const) {
    it(`exports spans over ${protocol}, with the trace the record's traceparent names`, async () => {
      const receiver: OtlpReceiver = protocol === 'grpc' ? await startOtlpGrpcReceiver() : await startOtlpReceiver();
      try {
        const result = await emit({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
        expect(result.code, result.stderr).toBe(0);
        const span = await waitFor(
          () => receiver.spans.find((s) => s.name === 'probe.handle'),
          10_000,
          `the span over ${protocol}`,
        );
        expect([...receiver.protocols]).toEqual([protocol]);
        expect(receiver.rejected).toEqual([]);
        expect(span.service).toBe('webtrail-probe');
        expect(span.attributes).toMatchObject({
          'messaging.system': 'kafka',
          'messaging.destination.name': 'webtrail.tasks',
          'messaging.kafka.offset': 42,
        });
        // 00-<trace id>-<span id>-01, as written into the Kafka headers.
        expect(result.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`);
      } finally {
        await receiver.close();
      }
    });
  }

  it('takes the traces-only variable over the general one, and the specification default http/protobuf without either', async () => {
    const receiver = await startOtlpReceiver();
    try {
      expect(
        (
          await emit({
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
            OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
            OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
          })
        ).code,
      ).toBe(0);
      expect((await emit({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })).code).toBe(0);
      await waitFor(() => (receiver.spans.length >= 2 ? true : undefined), 10_000, 'both spans');
      expect([...receiver.protocols].sort()).toEqual(['http/json', 'http/protobuf']);
    } finally {
      await receiver.close();
    }
  });

  it('writes the trace context with no collector at all, and refuses a protocol it does not know', async () => {
    const result = await emit({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' });
    expect(result.code).toBe(0);
    expect(result.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(() => otlpExporter({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).toThrow(
      "invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' is not an OTLP protocol; one of grpc, http/protobuf, http/json",
    );
  });
});
