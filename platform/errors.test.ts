// Which errors pause a stage (a resource ran out, the Kafka cluster away) rather than dead-letter a
// message: the stage runner waits on exactly these. kafkajs' own error classes, as it throws them.
import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { kafkaAway, outageOf, resourceExhaustion, WebtrailError } from './errors.ts';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSNonRetriableError } =
  kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;

describe('kafkaAway', () => {
  it('names a cluster that did not answer, directly or once kafkajs ran out of retries on a retriable error', () => {
    const refused = new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(kafkaAway(refused)).toBe(
      'the Kafka cluster did not answer: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    const gaveUp = new KafkaJSNumberOfRetriesExceeded!(refused, { retryCount: 5, retryTime: 5000 });
    expect(kafkaAway(gaveUp)).toMatch(/^the Kafka cluster did not answer: Connection error/);
    // A leader election outlasting the retries: the protocol error is retriable.
    const noLeader = new KafkaJSProtocolError!({
      message: 'There is no leader for this topic-partition',
      retriable: true,
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
    });
    expect(kafkaAway(new KafkaJSNumberOfRetriesExceeded!(noLeader, { retryCount: 5, retryTime: 5000 }))).not.toBeNull();
    // Wrapped by webtrail code that kept the cause.
    expect(kafkaAway(new Error('producing outputs', { cause: gaveUp }))).not.toBeNull();
  });

  it('leaves alone what the record or the request itself got wrong', () => {
    const tooBig = new KafkaJSProtocolError!({
      message: 'The request included a message larger than the max message size the server will accept',
      retriable: false,
      type: 'MESSAGE_TOO_LARGE',
      code: 10,
    });
    expect(kafkaAway(tooBig)).toBeNull();
    expect(kafkaAway(new KafkaJSNumberOfRetriesExceeded!(tooBig, { retryCount: 0, retryTime: 0 }))).toBeNull();
    expect(kafkaAway(new KafkaJSNonRetriableError!('Topic not found'))).toBeNull();
    // A non-retriable decision of webtrail's wins over a connection error it was caused by.
    const refused = new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(kafkaAway(new WebtrailError('bad record', { cause: refused }))).toBeNull();
    expect(kafkaAway(new Error('Invalid URL'))).toBeNull();
  });
});

describe('outageOf', () => {
  it('is a resource running out or the cluster away, and nothing else', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(outageOf(full)).toBe(resourceExhaustion(full));
    expect(outageOf(full)).toBe('ENOSPC: no space left on the device');
    expect(outageOf(new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toMatch(
      /Kafka/,
    );
    expect(outageOf(new WebtrailError('verdict has success NaN'))).toBeNull();
  });
});
