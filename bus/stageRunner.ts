// The consume → handle → produce → commit loop every stage runs on.
//
// - At-least-once: an offset is committed only after the message's outputs (or its dead letter) are
//   acknowledged, and only as one past the longest finished prefix of its partition.
// - Many messages in flight: eachBatch hands messages to local slots and returns at once, because
//   kafkajs fetches again only after every batch of a fetch has returned; a handler that ran inside
//   eachBatch for minutes would starve every other partition.
// - Backpressure: when the slots are full, the rest of a fetched batch waits in a local backlog and its
//   partition is paused; freed slots take from the backlogs, and a partition is resumed once its
//   backlog is empty. (Pausing and refetching instead would fetch once per freed slot.)
// - Membership: eachBatch returns quickly, so kafkajs' fetch loop keeps heartbeating while handlers run.
// - Failures: retriable errors are retried with backoff; the rest, or the last attempt, go to the
//   service's dead-letter topic with the reason, and the service goes on.
// - Drain: stop() takes no new message, waits for the in-flight ones, commits, leaves the group.
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { AvroCodec, SchemaName, SchemaTypes } from '../schemas/index.ts';
import {
  ATTRS,
  errorMessage,
  extractTraceContext,
  inSpan,
  isRetriable,
  kafkaAway,
  outageOf,
  type Logger,
  retry,
  type RuntimeConfig,
  SpanKind,
  SPANS,
  type StageMetrics,
  TimeoutError,
  traceHeaders,
} from '../platform/index.ts';
import type { OutputRecord, RecordProducer } from './recordProducer.ts';
import { deadLetterRecord } from './deadLetter.ts';
import { PartitionOffsets } from './offsetTracker.ts';

/** The longest wait between tries while a resource is out (a disk freed is seen within this). */
const RESOURCE_RETRY_MAX_MS = 10_000;

export interface HandlerContext {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  attempt: number;
  /** Aborted when the partition is revoked or the drain deadline passes. */
  signal: AbortSignal;
  log: Logger;
  /** Runs once every output of this message is acknowledged (not when a retry or dead letter follows). */
  afterSent(callback: () => void): void;
}

/** Stage logic: a decoded input in, the records to write out. */
export type StageHandler<T> = (value: T, ctx: HandlerContext) => Promise<OutputRecord[]>;

export interface StageRunnerOptions<N extends SchemaName> {
  config: RuntimeConfig;
  kafka: Kafka;
  codec: AvroCodec;
  producer: RecordProducer;
  input: { topic: string; schema: N };
  handler: StageHandler<SchemaTypes[N]>;
  log: Logger;
  metrics: StageMetrics;
  /** Where a new consumer group starts; true so a new judge group re-reads history. */
  fromBeginning?: boolean;
  /**
   * Messages with the same key are handled one at a time, in offset order (each after the previous one's
   * outputs are acknowledged), so a handler can rely on what it wrote for that key. Others run in parallel.
   */
  oneAtATimePerKey?: boolean;
  /**
   * At most this many messages with one key in flight: a partition whose next message's key is at the limit
   * waits (offsets stay in order) and the free slots go to other partitions. The rollout keys tasks by
   * domain and sets its per-domain concurrency here, so a slot never sits waiting for a busy site.
   */
  maxInFlightPerKey?: number;
  /** Longest wait of a fetch when there is nothing to read; lower means lower latency. */
  maxWaitTimeMs?: number;
  /** Runs before offsets are committed: the service exports the finished messages' spans, so committed
   *  work is not left without its trace when the process dies right after. Must not throw. */
  beforeCommit?: () => Promise<void>;
  /** Runs once the broker has recorded a commit (a test hook kills the process there). Must not throw. */
  afterCommit?: () => Promise<void>;
}

interface PartitionState {
  topic: string;
  partition: number;
  offsets: PartitionOffsets;
  controllers: Map<string, AbortController>;
  highWatermark: bigint;
  /** The offset the broker has confirmed as committed for the group (what lag is counted from). */
  confirmed: bigint | null;
  /** Fetched, not yet dispatched (no free slot); dropped if the partition is revoked. */
  backlog: KafkaMessage[];
  /** The last message in flight per key (oneAtATimePerKey): the next one with that key waits for it. */
  keyTails: Map<string, Promise<void>>;
}

export class StageRunner<N extends SchemaName> {
  private consumer: Consumer | undefined;
  /** Reads the group's committed offsets back: a commit counts once the broker shows it. */
  private admin: Admin | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  /** Messages in flight per key (maxInFlightPerKey). */
  private readonly inFlightByKey = new Map<string, number>();
  private readonly paused = new Map<string, { topic: string; partition: number }>();
  private readonly pendingCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer: NodeJS.Timeout | undefined;
  private resumeRetry: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private draining = false;
  private stopping: Promise<void> | undefined;
  private joined = false;
  private crashed: Error | undefined;
  /** A resource ran out (a full disk, a quota): no new work is taken until a retry succeeds. */
  private exhausted: { reason: string; since: number; loggedAt: number } | undefined;

  constructor(private readonly options: StageRunnerOptions<N>) {}

  /** Ready: joined the group, not draining, and not waiting for a resource. */
  get ready(): boolean {
    return this.joined && !this.draining && !this.crashed && !this.exhausted;
  }

  /** Why the stage is not ready, when it can say. */
  get notReadyReason(): string | null {
    if (this.crashed) return `the consumer crashed: ${errorMessage(this.crashed)}`;
    if (this.exhausted)
      return `paused for ${Math.round((Date.now() - this.exhausted.since) / 1000)} s: ${this.exhausted.reason}`;
    if (this.draining) return 'draining';
    if (!this.joined) return 'not in its consumer group yet';
    return null;
  }

  /** Live: the consumer has not crashed for good. */
  get live(): boolean {
    return !this.crashed;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  async start(onFatal: (error: Error) => void = () => undefined): Promise<void> {
    const { config, kafka, input, log } = this.options;
    this.admin = kafka.admin();
    await this.admin.connect();
    const consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: config.rebalanceTimeoutMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 500,
      maxBytesPerPartition: 16 * 1024 * 1024,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onGroupJoin(event.payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => {
      log.info({ groupId: config.groupId }, 'group rebalancing');
      void this.flushCommits();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const error = event.payload.error;
      if (!event.payload.restart) {
        this.crashed = error;
        log.error({ err: error }, 'consumer crashed for good');
        onFatal(error);
      } else {
        log.warn({ err: error }, 'consumer crashed, restarting');
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: input.topic, fromBeginning: this.options.fromBeginning ?? config.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    log.info({ topic: input.topic, groupId: config.groupId, concurrency: config.concurrency }, 'consuming');
  }

  /** Drains: no new messages, in-flight ones finish (or are aborted at the deadline), offsets committed. */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    const { log, config } = this.options;
    this.draining = true;
    log.info({ inFlight: this.inFlight }, 'draining');
    const finished = await this.waitIdle(config.drainTimeoutMs);
    if (!finished) {
      log.warn({ inFlight: this.inFlight }, 'drain deadline passed: aborting in-flight work (it will be redelivered)');
      for (const state of this.partitions.values())
        for (const c of state.controllers.values()) c.abort(new TimeoutError('drain deadline passed'));
      await this.waitIdle(5_000);
    }
    // A commit the broker has not recorded is tried again (a few times: the group may be rebalancing).
    await retry(
      async () => {
        await this.flushCommits();
        if (this.pendingCommits.size > 0)
          throw new Error(`${this.pendingCommits.size} partitions' commits not recorded by the broker`);
      },
      { what: 'committing offsets before leaving', attempts: 5, baseMs: 500, factor: 1, jitter: false, log },
    ).catch(() => undefined);
    if (this.commitTimer) clearTimeout(this.commitTimer);
    if (this.resumeRetry) clearTimeout(this.resumeRetry);
    if (this.pendingCommits.size > 0)
      log.warn(
        { partitions: [...this.pendingCommits.keys()] },
        'leaving with commits the broker has not recorded (their messages will be redelivered)',
      );
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
    log.info('drained');
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    this.joined = true;
    const assigned = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((p) => `${topic}:${p}`)));
    for (const [tp, state] of this.partitions) {
      if (assigned.has(tp)) continue;
      // Revoked: its uncommitted messages belong to the new owner now; stop working on them.
      for (const c of state.controllers.values()) c.abort(new TimeoutError('partition revoked'));
      this.partitions.delete(tp);
      this.pendingCommits.delete(tp);
    }
    if (this.paused.size > 0 && this.resume([...this.paused.values()])) {
      this.paused.clear();
      this.options.metrics.pausedPartitions.set(0);
    }
    this.options.log.info({ assignment }, 'joined group');
  }

  private async onBatch({
    batch,
    resolveOffset,
    pause,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { metrics } = this.options;
    const tp = `${batch.topic}:${batch.partition}`;
    let state = this.partitions.get(tp);
    if (!state) {
      // The first fetch starts at the group's committed position: that is confirmed until a commit moves it.
      const start = batch.messages[0]?.offset;
      state = {
        topic: batch.topic,
        partition: batch.partition,
        offsets: new PartitionOffsets(),
        controllers: new Map(),
        highWatermark: 0n,
        confirmed: start === undefined ? null : BigInt(start),
        backlog: [],
        keyTails: new Map(),
      };
      this.partitions.set(tp, state);
    }
    state.highWatermark = BigInt(batch.highWatermark);
    const waiting = new Set(state.backlog.map((m) => m.offset));
    for (const message of batch.messages) {
      if (this.draining || !isRunning() || isStale()) break;
      if (state.offsets.seen(message.offset) || waiting.has(message.offset)) {
        // Refetched after a rebalance while still in flight, waiting or awaiting commit here: not again.
        resolveOffset(message.offset);
        continue;
      }
      if (state.backlog.length === 0 && this.hasRoom(state) && !this.keyAtLimit(message)) this.dispatch(state, message);
      else state.backlog.push(message);
      resolveOffset(message.offset);
    }
    if (state.backlog.length > 0 && !this.paused.has(tp)) {
      pause();
      this.paused.set(tp, { topic: batch.topic, partition: batch.partition });
      metrics.pausedPartitions.set(this.paused.size);
    }
    this.updateLag(state);
    await heartbeat();
  }

  private dispatch(state: PartitionState, message: KafkaMessage): void {
    const { metrics } = this.options;
    const controller = new AbortController();
    state.offsets.dispatched(message.offset);
    state.controllers.set(message.offset, controller);
    this.inFlight += 1;
    metrics.inFlight.set(this.inFlight);
    metrics.consumed.inc({ topic: state.topic });
    const endTimer = metrics.handlerSeconds.startTimer();
    const limitedKey = this.options.maxInFlightPerKey ? message.key?.toString() : undefined;
    if (limitedKey !== undefined) this.inFlightByKey.set(limitedKey, (this.inFlightByKey.get(limitedKey) ?? 0) + 1);
    const key = this.options.oneAtATimePerKey ? message.key?.toString() : undefined;
    const before = key === undefined ? undefined : state.keyTails.get(key);
    const handled = before
      ? before.then(() => this.process(state, message, controller.signal))
      : this.process(state, message, controller.signal);
    if (key !== undefined) {
      const tail = handled.catch(() => undefined);
      state.keyTails.set(key, tail);
      void tail.then(() => {
        if (state.keyTails.get(key) === tail) state.keyTails.delete(key);
      });
    }
    handled
      .then(() => {
        endTimer();
        if (this.partitions.get(`${state.topic}:${state.partition}`) !== state) return;
        const next = state.offsets.finished(message.offset);
        if (next !== null) this.scheduleCommit(state, next);
      })
      .catch((error: unknown) => {
        // Aborted (revoked or drain deadline): not committed, so it will be redelivered.
        this.options.log.warn(
          { offset: message.offset, partition: state.partition, err: errorMessage(error) },
          'message abandoned',
        );
      })
      .finally(() => {
        state.controllers.delete(message.offset);
        if (limitedKey !== undefined) {
          const left = (this.inFlightByKey.get(limitedKey) ?? 1) - 1;
          if (left > 0) this.inFlightByKey.set(limitedKey, left);
          else this.inFlightByKey.delete(limitedKey);
        }
        this.inFlight -= 1;
        metrics.inFlight.set(this.inFlight);
        this.resumeWhereRoom();
        if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  /** Handles one message to the end: outputs acknowledged, or a dead letter acknowledged. */
  private async process(state: PartitionState, message: KafkaMessage, signal: AbortSignal): Promise<void> {
    const { codec, input, config, metrics, log } = this.options;
    const source = { topic: state.topic, partition: state.partition, message };
    let value: SchemaTypes[N];
    let decodeAttempts = 0;
    try {
      // Bytes that cannot be decoded never will be: dead-lettered. A schema registry that did not answer
      // is waited for, however long: dead-lettering every record while it is away would lose the stream.
      value = await retry(
        (_bail, attempt) => {
          decodeAttempts = attempt;
          return codec.decodeAs(input.schema, message.headers, message.value);
        },
        {
          what: 'decoding a record',
          baseMs: config.retryBackoffMs,
          maxMs: 30_000,
          signal,
          retriable: isRetriable,
          log,
          level: 'warn',
          context: { offset: message.offset },
          onRetry: () => void metrics.failed.inc({ stage: 'decode', retriable: 'true' }),
        },
      );
    } catch (error) {
      if (signal.aborted) throw error;
      metrics.failed.inc({ stage: 'decode', retriable: 'false' });
      await this.deadLetter(source, 'decode', error, decodeAttempts, signal);
      return;
    }
    const key = message.key?.toString() ?? null;
    let handleAttempts = 0;
    try {
      // A resource that ran out (a full disk, a quota) or a Kafka cluster away for longer than the client's
      // retries is waited for, however long, with no new work taken: the message is the machine's to
      // finish, never a dead letter; its offset stays uncommitted meanwhile.
      await retry(() => this.handleWithRetries(state, message, value, signal, (n) => (handleAttempts = n)), {
        what: 'waiting for a resource to come back',
        baseMs: 1000,
        maxMs: RESOURCE_RETRY_MAX_MS,
        signal,
        retriable: (error) => outageOf(error) !== null,
        onRetry: ({ error }) => this.pauseForResource(outageOf(error)!),
      });
      this.resourceBack();
    } catch (error) {
      if (signal.aborted) throw error;
      metrics.failed.inc({ stage: 'handle', retriable: String(isRetriable(error)) });
      log.warn(
        { err: errorMessage(error), attempt: handleAttempts, key, offset: message.offset },
        'giving up on message: dead-lettered',
      );
      await this.deadLetter(source, 'handle', error, handleAttempts, signal);
    }
  }

  /** Handles a message with the usual retries; a resource running out is thrown at once to the caller. */
  private async handleWithRetries(
    state: PartitionState,
    message: KafkaMessage,
    value: SchemaTypes[N],
    signal: AbortSignal,
    counted: (attempts: number) => void,
  ): Promise<void> {
    const { handler, config, producer, metrics, log } = this.options;
    const parent = extractTraceContext(message.headers);
    const key = message.key?.toString() ?? null;
    await retry(
      async (_bail, attempt) => {
        counted(attempt);
        await inSpan(
          SPANS.handle(config.service),
          {
            parent,
            kind: SpanKind.CONSUMER,
            attributes: {
              [ATTRS.system]: 'kafka',
              [ATTRS.operationType]: 'process',
              [ATTRS.operationName]: 'process',
              [ATTRS.consumerGroup]: config.groupId,
              [ATTRS.topic]: state.topic,
              [ATTRS.partition]: String(state.partition),
              [ATTRS.offset]: Number(message.offset),
              [ATTRS.attempt]: attempt,
              ...(key ? { [ATTRS.key]: key } : {}),
            },
          },
          async () => {
            const sent: Array<() => void> = [];
            const ctx: HandlerContext = {
              topic: state.topic,
              partition: state.partition,
              offset: message.offset,
              key,
              attempt,
              signal,
              log,
              afterSent: (callback) => sent.push(callback),
            };
            const outputs = await handler(value, ctx);
            const headers = traceHeaders();
            // Every record is encoded (and sized) before any is sent; those marked afterOthers go once the rest are acknowledged.
            const encoded = await Promise.all(
              outputs.map(async (o) => ({ last: o.afterOthers === true, raw: await producer.encode(o, headers) })),
            );
            // The outputs are made: a cluster away is waited for by sending them again, not by doing the work again.
            const send = (records: typeof encoded) =>
              retry(() => producer.send(records.map((e) => e.raw)), {
                what: 'sending the outputs while the Kafka cluster is away',
                baseMs: 1000,
                maxMs: RESOURCE_RETRY_MAX_MS,
                signal,
                retriable: (error) => kafkaAway(error) !== null,
                onRetry: ({ error }) => this.pauseForResource(kafkaAway(error)!),
              });
            await send(encoded.filter((e) => !e.last));
            await send(encoded.filter((e) => e.last));
            for (const o of outputs) metrics.produced.inc({ topic: o.topic });
            for (const callback of sent) callback();
          },
        );
      },
      {
        what: 'handling a message',
        attempts: config.maxAttempts,
        baseMs: config.retryBackoffMs,
        maxMs: 60_000,
        signal,
        retriable: (error) => isRetriable(error) && outageOf(error) === null,
        log,
        context: { key, offset: message.offset },
        onRetry: () => {
          metrics.failed.inc({ stage: 'handle', retriable: 'true' });
          metrics.retried.inc();
        },
      },
    );
  }

  /** Stops taking work until a resource is back: not ready, a metric, one log line a minute. */
  private pauseForResource(reason: string): void {
    const { log, metrics } = this.options;
    const now = Date.now();
    if (!this.exhausted) {
      this.exhausted = { reason, since: now, loggedAt: now };
      metrics.resourcePaused.reset();
      metrics.resourcePaused.set({ reason }, 1);
      log.error(
        { reason },
        'a resource ran out or the Kafka cluster is away: taking no new work until it is back (nothing is dead-lettered)',
      );
      return;
    }
    this.exhausted.reason = reason;
    if (now - this.exhausted.loggedAt >= 60_000) {
      this.exhausted.loggedAt = now;
      log.error({ reason, pausedS: Math.round((now - this.exhausted.since) / 1000) }, 'still waiting for the resource');
    }
  }

  private resourceBack(): void {
    if (!this.exhausted) return;
    const { log, metrics } = this.options;
    log.info(
      { reason: this.exhausted.reason, pausedS: Math.round((Date.now() - this.exhausted.since) / 1000) },
      'the resource is back: taking work again',
    );
    this.exhausted = undefined;
    metrics.resourcePaused.reset();
    metrics.resourcePaused.set({ reason: 'none' }, 0);
    this.resumeWhereRoom();
  }

  /** Writes the dead letter, retrying until Kafka takes it: the offset must not pass an unrecorded failure. */
  private async deadLetter(
    source: { topic: string; partition: number; message: KafkaMessage },
    stage: 'decode' | 'handle',
    error: unknown,
    attempts: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { producer, config, metrics, log } = this.options;
    const record = deadLetterRecord(config.service, source, stage, error, attempts);
    await retry(async () => producer.send([await producer.encode(record)]), {
      what: 'writing a dead letter',
      baseMs: 500,
      maxMs: 10_000,
      signal,
      log,
      level: 'error',
    });
    metrics.deadLettered.inc({ stage });
    log.warn(
      { stage, reason: record.value.error, topic: source.topic, offset: source.message.offset },
      'dead-lettered',
    );
  }

  /** Whether a message's key already has maxInFlightPerKey messages in flight (never, without the option). */
  private keyAtLimit(message: KafkaMessage): boolean {
    const limit = this.options.maxInFlightPerKey;
    if (!limit || !message.key) return false;
    return (this.inFlightByKey.get(message.key.toString()) ?? 0) >= limit;
  }

  private hasRoom(state: PartitionState): boolean {
    return (
      !this.exhausted &&
      this.inFlight < this.options.config.concurrency &&
      state.offsets.inFlight < this.options.config.maxInFlightPerPartition
    );
  }

  /**
   * Resumes partitions; false when the consumer cannot now. While kafkajs restarts its consumer (a broker
   * outage) resume throws; the partitions stay marked paused and are resumed when the group is joined again.
   */
  private resume(partitions: Array<{ topic: string; partition: number }>): boolean {
    try {
      this.consumer?.resume(partitions.map((p) => ({ topic: p.topic, partitions: [p.partition] })));
      return true;
    } catch (error) {
      this.options.log.info(
        { err: errorMessage(error), partitions: partitions.length },
        'cannot resume partitions now; trying again in 1 s (or when the group is joined again)',
      );
      this.resumeRetry ??= setTimeout(() => {
        this.resumeRetry = undefined;
        if (this.stopping) return;
        // The paused partitions whose backlog has drained: nothing else would resume them.
        const drained = [...this.paused].filter(([tp]) => (this.partitions.get(tp)?.backlog.length ?? 0) === 0);
        if (drained.length > 0 && this.resume(drained.map(([, p]) => p)))
          for (const [tp] of drained) this.paused.delete(tp);
        this.options.metrics.pausedPartitions.set(this.paused.size);
      }, 1000);
      return false;
    }
  }

  /** Freed slots take from the backlogs, partition by partition; a partition with none left resumes. */
  private resumeWhereRoom(): void {
    if (this.draining) return;
    let progressed = true;
    while (progressed && this.inFlight < this.options.config.concurrency) {
      progressed = false;
      for (const [tp, state] of this.partitions) {
        if (state.backlog.length === 0 || !this.hasRoom(state) || this.keyAtLimit(state.backlog[0]!)) continue;
        this.dispatch(state, state.backlog.shift()!);
        progressed = true;
        if (
          state.backlog.length === 0 &&
          this.paused.has(tp) &&
          this.resume([{ topic: state.topic, partition: state.partition }])
        )
          this.paused.delete(tp);
      }
    }
    this.options.metrics.pausedPartitions.set(this.paused.size);
  }

  private scheduleCommit(state: PartitionState, offset: string): void {
    this.pendingCommits.set(`${state.topic}:${state.partition}`, {
      topic: state.topic,
      partition: state.partition,
      offset,
    });
    this.armCommitTimer(this.options.config.commitIntervalMs);
  }

  private armCommitTimer(delayMs: number): void {
    if (this.commitTimer || this.stopping) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.flushCommits();
    }, delayMs);
  }

  /**
   * Commits what finished, then reads the group's offsets back. kafkajs can return from a commit without
   * error while its consumer restarts (after a broker outage) and record nothing; taken as done, that
   * work stayed uncommitted for good, since nothing finishes there again to commit. So a commit counts
   * once the broker shows it; a failed or unrecorded one stays pending and is tried again on a timer.
   */
  private flushCommits(): Promise<void> {
    this.committing = this.committing.then(async () => {
      if (this.pendingCommits.size === 0 || !this.consumer) return;
      const offsets = [...this.pendingCommits.values()];
      this.pendingCommits.clear();
      await this.options.beforeCommit?.();
      let unrecorded = offsets;
      try {
        await this.consumer.commitOffsets(offsets);
        unrecorded = await this.unrecorded(offsets);
        if (unrecorded.length === 0) await this.options.afterCommit?.();
        if (unrecorded.length > 0)
          this.options.log.warn(
            { partitions: unrecorded.map((o) => `${o.topic}:${o.partition}@${o.offset}`) },
            'the broker has not recorded a commit (the consumer may be restarting); committing again',
          );
      } catch (error) {
        this.options.log.warn({ err: errorMessage(error) }, 'commit failed; will retry');
      }
      for (const o of unrecorded) {
        const tp = `${o.topic}:${o.partition}`;
        if (!this.pendingCommits.has(tp) && this.partitions.has(tp)) this.pendingCommits.set(tp, o);
      }
      if (this.pendingCommits.size > 0) this.armCommitTimer(Math.max(500, this.options.config.commitIntervalMs));
    });
    return this.committing;
  }

  /** The commits the broker does not show yet; the rest are recorded as confirmed. */
  private async unrecorded(
    offsets: Array<{ topic: string; partition: number; offset: string }>,
  ): Promise<Array<{ topic: string; partition: number; offset: string }>> {
    const topics = [...new Set(offsets.map((o) => o.topic))];
    const committed = new Map<string, bigint>();
    for (const t of await this.admin!.fetchOffsets({ groupId: this.options.config.groupId, topics })) {
      for (const p of t.partitions) committed.set(`${t.topic}:${p.partition}`, BigInt(p.offset));
    }
    return offsets.filter((o) => {
      const tp = `${o.topic}:${o.partition}`;
      const shown = committed.get(tp) ?? -1n;
      const state = this.partitions.get(tp);
      if (state && shown >= 0n && (state.confirmed === null || shown > state.confirmed)) {
        state.confirmed = shown;
        this.updateLag(state);
      }
      return shown < BigInt(o.offset);
    });
  }

  /** Lag from what the broker confirmed (before the first confirmation, from what finished here). */
  private updateLag(state: PartitionState): void {
    const committed = state.confirmed ?? (state.offsets.nextCommit === null ? null : BigInt(state.offsets.nextCommit));
    if (committed === null) return;
    const lag = state.highWatermark - committed;
    this.options.metrics.lag.set(
      { topic: state.topic, partition: String(state.partition) },
      Number(lag > 0n ? lag : 0n),
    );
  }
}
