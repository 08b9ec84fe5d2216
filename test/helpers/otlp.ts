// OTLP trace receivers inside the tests, speaking each protocol as an OpenTelemetry collector does:
// OTLP/HTTP with JSON or protobuf bodies on /v1/traces, and OTLP/gRPC (the TraceService's Export) on a
// real gRPC server (grpc-js). Protobuf is decoded with the protocol's own definitions
// (test/fixtures/otlp-proto, from open-telemetry/opentelemetry-proto).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Requests it could not take (wrong path, content type or body). */
  rejected: string[];
  /** The protocols of the requests it took. */
  protocols: Set<string>;
  close(): Promise<void>;
}

const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/otlp-proto');
const SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: OtlpAttribute[];
      }>;
    }>;
  }>;
}

const valueOf = (v: OtlpValue) =>
  v.stringValue ??
  (v.intValue !== undefined && v.intValue !== null ? Number(v.intValue) : undefined) ??
  v.doubleValue ??
  v.boolValue ??
  '';
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** Spans of an export request whose ids are hex strings (JSON) or were turned into them (protobuf). */
function collect(body: OtlpExport, spans: ReceivedSpan[]): void {
  for (const resourceSpans of body.resourceSpans ?? []) {
    const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const s of scope.spans ?? [])
        spans.push({
          service,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          attributes: attributesOf(s.attributes),
        });
    }
  }
}

let requestType: protobuf.Type | undefined;
/** A protobuf ExportTraceServiceRequest as the JSON mapping has it (ids in hex, 64-bit numbers as strings). */
function decodeProtobuf(bytes: Uint8Array): OtlpExport {
  if (!requestType) {
    const root = new protobuf.Root();
    // Imports are named from the definitions' root, as protoc's include path has them.
    root.resolvePath = (_origin: string, target: string) =>
      path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target);
    requestType = root
      .loadSync(SERVICE_PROTO)
      .lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  }
  return idsToHex(
    requestType.toObject(requestType.decode(bytes), { longs: String, bytes: String, defaults: false }) as OtlpExport,
  );
}

/** Protobuf decoders give the ids as base64; the JSON encoding has them in hex. */
function idsToHex(body: OtlpExport): OtlpExport {
  const hex = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('hex') : '');
  for (const r of body.resourceSpans ?? [])
    for (const scope of r.scopeSpans ?? [])
      for (const s of scope.spans ?? [])
        Object.assign(s, { traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) });
  return body;
}

/** OTLP/HTTP: JSON or protobuf bodies, by their content type. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const protocols = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '');
      try {
        if (req.url !== '/v1/traces') throw new Error('not the traces path');
        const body = Buffer.concat(chunks);
        if (type.startsWith('application/json')) {
          collect(JSON.parse(body.toString('utf8')) as OtlpExport, spans);
          protocols.add('http/json');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else if (type.startsWith('application/x-protobuf')) {
          collect(decodeProtobuf(body), spans);
          protocols.add('http/protobuf');
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        } else {
          throw new Error('not an OTLP content type');
        }
      } catch (error) {
        rejected.push(`${req.method} ${req.url} ${type}: ${(error as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    rejected,
    protocols,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** OTLP/gRPC: the collector's TraceService on a grpc-js server, without TLS. */
export async function startOtlpGrpcReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const protocols = new Set<string>();
  const definition = protoLoader.loadSync(SERVICE_PROTO, {
    includeDirs: [PROTO_ROOT],
    longs: String,
    bytes: String,
    defaults: false,
  });
  const proto = grpc.loadPackageDefinition(definition) as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: { TraceService: grpc.ServiceClientConstructor } } } } };
  };
  const server = new grpc.Server();
  server.addService(proto.opentelemetry.proto.collector.trace.v1.TraceService.service, {
    Export: (call: grpc.ServerUnaryCall<OtlpExport, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      collect(idsToHex(call.request), spans);
      protocols.add('grpc');
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    rejected: [],
    protocols,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
