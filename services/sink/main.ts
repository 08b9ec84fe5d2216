// The sink service: webtrail.verdicts → webtrail.training-examples + dataset files.
import { TOPICS } from '../../schemas/topics.ts';
import { runStageMain } from '../../bus/startStage.ts';
import { ATTRS, SPANS, inSpan, trace } from '../../platform/telemetry.ts';
import { loadSinkConfig } from './config.ts';
import { Sink } from './sink.ts';
import { describeFilter } from './exampleFilter.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { oversizeProblem } from '../../bus/recordProducer.ts';

await runStageMain({
  service: 'sink',
  input: { topic: TOPICS.verdicts.name, schema: 'Verdict' },
  async setup({ log }) {
    const config = loadSinkConfig();
    const codec = new AvroCodec();
    const sink = new Sink(config, {
      onOtherRun: (verdict, kept) => log.info({ trajectoryId: verdict.trajectoryId, runId: verdict.trajectory.runId, keptRunId: kept }, 'another run of a trajectory already in the dataset (a redelivered rollout): not added'),
      onMigrated: (from, to) => log.info({ from, to }, 'dataset folder renamed to its judge version\'s one-to-one name'),
      exampleProblem: (e) => {
        const encoded = codec.encode('TrainingExample', e);
        return oversizeProblem({ topic: TOPICS.trainingExamples.name, key: e.exampleId, value: encoded.value, headers: encoded.headers });
      },
    });
    log.info({ datasets: config.datasetsDir, filter: describeFilter(config.filter), scrubPii: config.scrubPii }, 'writing datasets');
    return {
      close: () => sink.close(),
      handler: async (verdict) => {
        trace.getActiveSpan()?.setAttributes({ [ATTRS.trajectoryId]: verdict.trajectoryId });
        const examples = await inSpan(SPANS.sink, { attributes: { 'webtrail.examples': 0 } }, async (span) => {
          const made = await sink.accept(verdict);
          span.setAttribute('webtrail.examples', made.length);
          return made;
        });
        return examples.map((e) => ({ topic: TOPICS.trainingExamples.name, key: e.exampleId, schema: 'TrainingExample' as const, value: e }));
      },
    };
  },
});
