// Prometheus metrics of a stage, served on /metrics. Names follow Prometheus conventions.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface StageMetrics {
  registry: Registry;
  consumed: Counter<'topic'>;
  produced: Counter<'topic'>;
  failed: Counter<'stage' | 'retriable'>;
  deadLettered: Counter<'stage'>;
  retried: Counter;
  inFlight: Gauge;
  pausedPartitions: Gauge;
  /** 1 while the stage waits for a resource (a full disk, a quota), with its reason; else 0. */
  resourcePaused: Gauge<'reason'>;
  handlerSeconds: Histogram;
  lag: Gauge<'topic' | 'partition'>;
}

export function createStageMetrics(service: string, withDefaults = true): StageMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (withDefaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    consumed: new Counter({
      name: 'webtrail_consumed_total',
      help: 'Records read from the input topic.',
      labelNames: ['topic'],
      registers,
    }),
    produced: new Counter({
      name: 'webtrail_produced_total',
      help: 'Records written and acknowledged.',
      labelNames: ['topic'],
      registers,
    }),
    failed: new Counter({
      name: 'webtrail_failed_total',
      help: 'Failed handling attempts.',
      labelNames: ['stage', 'retriable'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'webtrail_dead_lettered_total',
      help: 'Records sent to the dead-letter topic.',
      labelNames: ['stage'],
      registers,
    }),
    retried: new Counter({
      name: 'webtrail_retried_total',
      help: 'Handling attempts after a retriable failure.',
      registers,
    }),
    inFlight: new Gauge({ name: 'webtrail_in_flight', help: 'Records being handled now.', registers }),
    pausedPartitions: new Gauge({
      name: 'webtrail_paused_partitions',
      help: 'Partitions paused because the local slots are full.',
      registers,
    }),
    resourcePaused: new Gauge({
      name: 'webtrail_resource_paused',
      help: 'The stage has stopped taking work until a resource is back (1), with why (a full disk, a quota).',
      labelNames: ['reason'],
      registers,
    }),
    handlerSeconds: new Histogram({
      name: 'webtrail_handler_duration_seconds',
      help: 'Time from dispatch to outputs acknowledged.',
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 5, 15, 60, 180, 600],
      registers,
    }),
    lag: new Gauge({
      name: 'webtrail_consumer_lag',
      help: 'High watermark minus committed offset, per partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
  };
}
