// An old reader decodes a record from a newer writer by finding its schema in the schema topic.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { HEADER_FINGERPRINT, HEADER_SCHEMA } from '../schemas/codec.ts';
import { describeType, readSchemaJson } from '../schemas/schemaFiles.ts';
import { TOPICS } from '../schemas/topics.ts';
import { ensureTopics } from '../bus/client.ts';
import { createTopic, readTopic, testCodec, testKafka, uniqueName } from './helpers/kafka.ts';
import { site } from './helpers/samples.ts';

describe('schema topic', () => {
  it('lets a reader built with the old Site schema read records written with a newer one', async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [TOPICS.schemas]);
    await admin.disconnect();
    const schema = readSchemaJson('Site') as { fields: unknown[] };
    const marker = uniqueName('field').replace('.', '_');
    const newer = avro.Type.forSchema({
      ...schema,
      fields: [...schema.fields, { name: marker, type: 'string', default: '' }],
    } as avro.Schema);
    const described = describeType(newer);
    const topic = uniqueName('test.evolution');
    await createTopic(kafka, topic);
    const producer = kafka.producer();
    await producer.connect();
    // As a producer of the old format published its schema: keyed by fingerprint, the schema as the value.
    await producer.send({
      topic: TOPICS.schemas.name,
      acks: -1,
      messages: [{ key: described.fingerprint, value: described.schema, headers: { 'webtrail-schema-name': 'Site' } }],
    });
    await producer.send({
      topic,
      messages: [
        {
          key: 'new.example.com',
          value: newer.toBuffer({ ...site('new.example.com'), [marker]: 'x' }),
          headers: { [HEADER_SCHEMA]: 'Site', [HEADER_FINGERPRINT]: described.fingerprint },
        },
      ],
    });
    await producer.disconnect();

    const [record] = await readTopic(topic); // what `webtrail tap` prints
    expect(record?.value).toEqual(site('new.example.com'));
    const reader = testCodec(kafka);
    const raw = newer.toBuffer({ ...site('other.example.com'), [marker]: 'y' });
    expect(
      await reader.decodeAs('Site', { [HEADER_SCHEMA]: 'Site', [HEADER_FINGERPRINT]: described.fingerprint }, raw),
    ).toEqual(site('other.example.com'));
  }, 60_000);
});
