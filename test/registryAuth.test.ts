// A registry that wants a login: basic auth or a bearer token on every call, a refusal said plainly,
// and the credentials never in an error message. The test run's registry stands behind a gate that
// records what each request carried and refuses the ones without the expected Authorization header.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, loadRegistryConfig } from '../bus/registry/registryClient.ts';
import { isRetriable, UserInputError } from '../platform/errors.ts';
import { uniqueName } from './helpers/kafka.ts';
import { site } from './helpers/samples.ts';

const target = new URL(loadRegistryConfig().url);
const seen: Array<{ path: string; authorization: string | undefined }> = [];
let expected = '';
let gate: Server;
let gateUrl: string;

beforeAll(async () => {
  gate = createServer((req, res) => {
    seen.push({ path: `${req.method} ${req.url}`, authorization: req.headers.authorization });
    if (expected === 'overloaded') {
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error_code: 50301, message: 'Service Unavailable' }));
      return;
    }
    if (req.headers.authorization !== expected) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error_code: 40101, message: 'Unauthorized' }));
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => gate?.close(resolve));
});

describe('a schema registry with a login', () => {
  it('gets basic auth on every call from SCHEMA_REGISTRY_USERNAME / _PASSWORD', async () => {
    expected = `Basic ${Buffer.from('trainer:s3cret-pw').toString('base64')}`;
    seen.length = 0;
    const codec = createCodec({
      SCHEMA_REGISTRY_URL: gateUrl,
      SCHEMA_REGISTRY_USERNAME: 'trainer',
      SCHEMA_REGISTRY_PASSWORD: 's3cret-pw',
    });
    const encoded = await codec.encode(uniqueName('test.auth'), 'Site', site());
    expect(encoded.value[0]).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((h) => h.authorization)).toEqual(seen.map(() => expected));
  });

  it('gets a bearer token on every call from SCHEMA_REGISTRY_BEARER_TOKEN', async () => {
    expected = 'Bearer tok-123.abc';
    seen.length = 0;
    const topic = uniqueName('test.auth');
    const writer = createCodec({ SCHEMA_REGISTRY_URL: gateUrl, SCHEMA_REGISTRY_BEARER_TOKEN: 'tok-123.abc' });
    const encoded = await writer.encode(topic, 'Site', site('bearer.example.com'));
    // Another process, reading: it fetches the writer's schema by id through the same gate.
    const reader = createCodec({ SCHEMA_REGISTRY_URL: gateUrl, SCHEMA_REGISTRY_BEARER_TOKEN: 'tok-123.abc' });
    expect(await reader.decodeAs('Site', {}, encoded.value)).toEqual(site('bearer.example.com'));
    expect(seen.map((h) => h.path)).toContain(`GET /schemas/ids/${encoded.value.readUInt32BE(1)}`);
    expect(seen.map((h) => h.authorization)).toEqual(seen.map(() => expected));
  });

  it('says a refused login plainly, as a setting to fix (not a retry), without the password', async () => {
    expected = `Basic ${Buffer.from('trainer:right').toString('base64')}`;
    const codec = createCodec({
      SCHEMA_REGISTRY_URL: gateUrl,
      SCHEMA_REGISTRY_USERNAME: 'trainer',
      SCHEMA_REGISTRY_PASSWORD: 'wrong-pw',
    });
    const error = await codec.encode(uniqueName('test.auth'), 'Site', site()).then(
      () => new Error('encoded'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(UserInputError);
    expect(isRetriable(error)).toBe(false);
    expect(error.message).toBe(
      `the schema registry at ${gateUrl} refused registering the schema of subject '${error.message.match(/subject '([^']+)'/)?.[1]}' (HTTP 401): check SCHEMA_REGISTRY_USERNAME/_PASSWORD or SCHEMA_REGISTRY_BEARER_TOKEN`,
    );
    expect(error.message).not.toContain('wrong-pw');
  });

  it('takes a registry that answers 503 for one that may answer later (retriable), and a level other than the setting for a setting to fix', async () => {
    expected = 'overloaded';
    const away = await createCodec({ SCHEMA_REGISTRY_URL: gateUrl })
      .encode(uniqueName('test.auth'), 'Site', site())
      .then(
        () => new Error('encoded'),
        (e: unknown) => e as Error,
      );
    expect(isRetriable(away)).toBe(true);
    expect(away.message).toMatch(
      new RegExp(`^the schema registry at ${gateUrl.replace(/[.]/g, '\\.')} did not answer registering`),
    );
    // A subject the registry keeps at FULL, while webtrail is set to BACKWARD (the default).
    const topic = uniqueName('test.level');
    const put = await fetch(`${target.origin}/config/${topic}-value`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ compatibility: 'FULL' }),
    });
    expect(put.status).toBe(200);
    const mismatch = await createCodec()
      .encode(topic, 'Site', site())
      .then(
        () => new Error('encoded'),
        (e: unknown) => e as Error,
      );
    expect(isRetriable(mismatch)).toBe(false);
    expect(mismatch.message).toMatch(
      /Compatibility does not match the configuration \(BACKWARD != FULL\); set WEBTRAIL_SCHEMA_COMPATIBILITY to the subject's level/,
    );
    expect((await createCodec({ WEBTRAIL_SCHEMA_COMPATIBILITY: 'FULL' }).encode(topic, 'Site', site())).value[0]).toBe(
      0,
    );
  });

  it('refuses settings that cannot be right, naming them', () => {
    expect(() => loadRegistryConfig({ SCHEMA_REGISTRY_USERNAME: 'u' })).toThrow(
      'invalid configuration: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together (basic auth)',
    );
    expect(() =>
      loadRegistryConfig({
        SCHEMA_REGISTRY_USERNAME: 'u',
        SCHEMA_REGISTRY_PASSWORD: 'p',
        SCHEMA_REGISTRY_BEARER_TOKEN: 't',
      }),
    ).toThrow('not both');
    expect(() => loadRegistryConfig({ SCHEMA_REGISTRY_URL: 'http://u:p@registry:8081' })).toThrow(/holds credentials/);
    expect(() => loadRegistryConfig({ SCHEMA_REGISTRY_URL: 'registry:8081' })).toThrow(/SCHEMA_REGISTRY_URL/);
    expect(() => loadRegistryConfig({ WEBTRAIL_SCHEMA_SUBJECT_STRATEGY: 'TopicName' })).toThrow(
      /WEBTRAIL_SCHEMA_SUBJECT_STRATEGY/,
    );
    expect(() => loadRegistryConfig({ WEBTRAIL_SCHEMA_COMPATIBILITY: 'SOMETIMES' })).toThrow(
      /WEBTRAIL_SCHEMA_COMPATIBILITY/,
    );
    expect(loadRegistryConfig({ WEBTRAIL_SCHEMA_REGISTRY_PORT: '9999' })).toMatchObject({
      url: 'http://127.0.0.1:9999',
      external: false,
      subjectStrategy: 'TopicNameStrategy',
      compatibility: 'BACKWARD',
    });
    expect(loadRegistryConfig({ SCHEMA_REGISTRY_URL: 'https://registry.example:8081/' })).toMatchObject({
      url: 'https://registry.example:8081',
      external: true,
    });
  });
});
