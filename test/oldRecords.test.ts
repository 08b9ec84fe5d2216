// Records written before the registry wire format (the bare Avro body, the schema's name and fingerprint
// in headers) stay readable where users read history: `webtrail tap`, `webtrail stats` and `webtrail
// replay`, beside records of the new format on the same topics. The old records are written here as the
// old release wrote them, byte for byte: the body alone, with a schema of schemas/history.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trajectory, Verdict } from '../schemas/types.ts';

const run = randomUUID().slice(0, 8);
const PREFIX = `old-${run}.`;
process.env.WEBTRAIL_TOPIC_PREFIX = PREFIX;
const { TOPICS } = await import('../schemas/topics.ts');
const { HEADER_FINGERPRINT, HEADER_SCHEMA, loadHistory } = await import('../schemas/codec.ts');
const { describeType, loadSchemaTypes } = await import('../schemas/schemaFiles.ts');
const { ensureTopics } = await import('../bus/client.ts');
const { replay } = await import('../cli/replay.ts');
const { startScriptedLlm } = await import('../sandbox/scriptedLlm.ts');
const { produce, readTopic, testKafka, waitFor } = await import('./helpers/kafka.ts');
const { runCli } = await import('./helpers/processes.ts');
const samples = await import('./helpers/samples.ts');
if (!TOPICS.trajectories.name.startsWith(PREFIX)) throw new Error('the topic prefix was not taken up');

const kafka = testKafka();
const current = loadSchemaTypes();
const trajectoryType = current.get('Trajectory')!;
const verdictType = current.get('Verdict')!;

/** An earlier release's schema of a type (one that is not today's), from schemas/history. */
function earlierSchema(name: 'Trajectory' | 'Verdict'): { type: avro.Type; fingerprint: string } {
  const today = describeType(current.get(name)!).fingerprint;
  const found = [...loadHistory()].find(([fp, h]) => h.name === name && fp !== today);
  if (!found) throw new Error(`schemas/history holds no earlier ${name}`);
  return { type: avro.Type.forSchema(JSON.parse(found[1].schema) as avro.Schema), fingerprint: found[0] };
}

/** A value as a release with `writer` wrote it: today's value read into that schema. */
const asWrittenBy = (writer: avro.Type, reader: avro.Type, value: unknown) =>
  writer.fromBuffer(reader.toBuffer(value), writer.createResolver(reader)) as Record<string, unknown>;

const oldTrajectory = { ...samples.trajectory('old-a'), trajectoryId: `traj-old-a-${run}` };
const olderTrajectory = { ...samples.trajectory('old-b'), trajectoryId: `traj-old-b-${run}` };
const newTrajectory = { ...samples.trajectory('new-c'), trajectoryId: `traj-new-c-${run}` };
const oldVerdict: Verdict = {
  ...samples.verdict('old-a'),
  verdictId: `v-old-a-${run}`,
  trajectoryId: oldTrajectory.trajectoryId,
  judgeVersion: `m@judge.old-${run}`,
  trajectory: oldTrajectory,
};
const earlier = earlierSchema('Trajectory');
let llm: Awaited<ReturnType<typeof startScriptedLlm>>;
const env = () => ({
  WEBTRAIL_TOPIC_PREFIX: PREFIX,
  WEBTRAIL_HOME: mkdtempSync(path.join(tmpdir(), 'webtrail-old-')),
  LOG_LEVEL: 'warn',
  OPENAI_BASE_URL: llm.url,
  OPENAI_MODEL: 'scripted',
  OPENAI_API_KEY: 'not-needed',
});

beforeAll(async () => {
  llm = await startScriptedLlm();
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  try {
    const old = (name: string, fingerprint: string) => ({ [HEADER_SCHEMA]: name, [HEADER_FINGERPRINT]: fingerprint });
    await producer.send({
      topic: TOPICS.trajectories.name,
      acks: -1,
      messages: [
        // Written with today's schema, in the old format.
        {
          key: oldTrajectory.task.taskId,
          value: trajectoryType.toBuffer(oldTrajectory),
          headers: old('Trajectory', describeType(trajectoryType).fingerprint),
        },
        // Written by an earlier release, with an earlier schema, in the old format.
        {
          key: olderTrajectory.task.taskId,
          value: earlier.type.toBuffer(asWrittenBy(earlier.type, trajectoryType, olderTrajectory)),
          headers: old('Trajectory', earlier.fingerprint),
        },
      ],
    });
    await producer.send({
      topic: TOPICS.verdicts.name,
      acks: -1,
      messages: [
        {
          key: oldVerdict.trajectoryId,
          value: verdictType.toBuffer(oldVerdict),
          headers: old('Verdict', describeType(verdictType).fingerprint),
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  // And one of the new format beside them.
  await produce(kafka, [
    { topic: TOPICS.trajectories.name, key: newTrajectory.task.taskId, schema: 'Trajectory', value: newTrajectory },
  ]);
}, 120_000);

afterAll(async () => {
  await llm?.close();
  delete process.env.WEBTRAIL_TOPIC_PREFIX;
});

describe('records of the old format', () => {
  it('are printed by webtrail tap beside the new ones, each as it was written', async () => {
    const cli = await runCli(['tap', TOPICS.trajectories.name, '--from-beginning'], { env: env(), timeoutMs: 60_000 });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const lines = cli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { schema?: string; value?: Trajectory; error?: string });
    expect(lines.map((l) => l.error)).toEqual([undefined, undefined, undefined]);
    const byId = new Map(lines.map((l) => [l.value!.trajectoryId, l.value!]));
    expect(byId.get(oldTrajectory.trajectoryId)).toEqual(oldTrajectory);
    expect(byId.get(newTrajectory.trajectoryId)).toEqual(newTrajectory);
    // The earlier release's record: every field it had as written, the ones it lacked at their defaults.
    const older = byId.get(olderTrajectory.trajectoryId)!;
    expect(asWrittenBy(earlier.type, trajectoryType, older)).toEqual(
      asWrittenBy(earlier.type, trajectoryType, olderTrajectory),
    );
  });

  it('are counted by webtrail stats', async () => {
    const cli = await runCli(['stats', '--json'], { env: env(), timeoutMs: 60_000 });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout) as {
      topics: Array<{ topic: string; records: number }>;
      judges: Array<{ judgeVersion: string; verdicts: number }>;
    };
    expect(report.topics.find((t) => t.topic === TOPICS.trajectories.name)?.records).toBe(3);
    expect(report.judges.find((j) => j.judgeVersion === oldVerdict.judgeVersion)?.verdicts).toBe(1);
  });

  it('are re-judged by webtrail replay, whose verdicts are of the new format', async () => {
    const version = `scripted@judge.v1-old-${run}`;
    const result = await replay({ judgeVersion: version, env: { ...process.env, ...env() } });
    expect(result.exitCode).toBe(0);
    const judged = await waitFor(
      async () => {
        const verdicts = (await readTopic(TOPICS.verdicts.name)).filter(
          (r) => (r.value as Verdict | undefined)?.judgeVersion === version,
        );
        return verdicts.length >= 3 ? verdicts : undefined;
      },
      60_000,
      'three verdicts of the replay',
    );
    expect(judged.map((r) => (r.value as Verdict).trajectoryId).sort()).toEqual(
      [oldTrajectory, olderTrajectory, newTrajectory].map((t) => t.trajectoryId).sort(),
    );
    expect(judged.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    // Nothing dead-lettered: every old record was decoded.
    expect((await readTopic(`${PREFIX}webtrail.dlq.judge`)).length).toBe(0);
    // The new verdicts are framed for the registry, readable by anyone's deserializer.
    const raw: Buffer[] = [];
    const consumer = kafka.consumer({ groupId: `old-records-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.verdicts.name, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void raw.push(message.value!) });
    await waitFor(() => (raw.length >= 4 ? true : undefined), 30_000, 'the verdicts topic read raw');
    await consumer.disconnect();
    expect(raw.filter((b) => b[0] === 0).length).toBe(3);
  }, 180_000);
});
