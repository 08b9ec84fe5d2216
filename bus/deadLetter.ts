// Builds the dead-letter record for a message a service gives up on: the original bytes untouched,
// plus where and why it failed, so an operator can inspect it and replay it.
import type { KafkaMessage } from 'kafkajs';
import { dlqTopic, type FailureStage } from '../schemas/index.ts';
import { errorMessage, errorName, isRetriable } from '../platform/index.ts';
import type { OutputRecord } from './recordProducer.ts';

export function deadLetterRecord(
  service: string,
  source: { topic: string; partition: number; message: KafkaMessage },
  stage: FailureStage,
  error: unknown,
  attempts: number,
): OutputRecord<'DeadLetter'> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(source.message.headers ?? {})) {
    if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
  }
  return {
    topic: dlqTopic(service).name,
    key: source.message.key?.toString() ?? '',
    schema: 'DeadLetter',
    value: {
      service,
      topic: source.topic,
      partition: source.partition,
      offset: Number(source.message.offset),
      key: source.message.key ?? null,
      value: source.message.value ?? null,
      headers,
      stage,
      error: errorMessage(error).slice(0, 4000),
      errorName: errorName(error),
      retriable: stage === 'decode' ? false : isRetriable(error),
      attempts,
      failedAtMs: Date.now(),
    },
  };
}
