import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createCodec } from './registry/registryClient.ts';
import { TOPICS } from '../schemas/topics.ts';
import { isRetriable } from '../platform/errors.ts';
import { site } from '../test/helpers/samples.ts';
import { RecordProducer, oversizeProblem, recordBytes } from './recordProducer.ts';

describe('record sizes', () => {
  it('counts value, key and headers, plus the framing allowance', () => {
    // 512 framing + 10 value + 3 key + ('ab' + 'cde') 5 header bytes + ('é' 2 bytes + 'x' 1) = 533.
    expect(recordBytes({ key: 'k12', value: Buffer.alloc(10), headers: { ab: 'cde', é: Buffer.from('x') } })).toBe(533);
  });

  it("refuses a record over its topic's max.message.bytes before it is sent, for good", async () => {
    const limit = TOPICS.sites.maxMessageBytes;
    expect(
      oversizeProblem({ topic: TOPICS.sites.name, key: 'k', value: Buffer.alloc(limit - 600), headers: {} }),
    ).toBeNull();
    expect(oversizeProblem({ topic: TOPICS.sites.name, key: 'k', value: Buffer.alloc(limit), headers: {} })).toBe(
      `a record of ${limit + 513} bytes is over ${TOPICS.sites.name}'s limit of ${limit} (max.message.bytes)`,
    );

    // Encoding is where every stage's outputs pass: a 2 MB URL on the sites topic (1 MiB) never reaches the broker.
    const records = new RecordProducer({} as Producer, createCodec());
    const huge = { ...site('huge.example.com'), url: `https://huge.example.com/${'a'.repeat(2_000_000)}` };
    const error = await records
      .encode({ topic: TOPICS.sites.name, key: huge.domain, schema: 'Site', value: huge })
      .then(
        () => null,
        (caught: unknown) => caught as Error,
      );
    expect(error?.message).toMatch(
      /^Site huge\.example\.com: a record of \d+ bytes is over .*webtrail\.sites's limit of 1048576/,
    );
    expect(isRetriable(error)).toBe(false);
    expect(
      (
        await records.encode({
          topic: TOPICS.sites.name,
          key: 'ok.example.com',
          schema: 'Site',
          value: site('ok.example.com'),
        })
      ).value!.length,
    ).toBeGreaterThan(0);
  });
});
