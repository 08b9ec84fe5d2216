// The sink service: webtrail.verdicts → webtrail.training-examples + dataset files.
import { TOPICS } from '../../schemas/topics.ts';
import { runStageMain } from '../../bus/startStage.ts';
import { ATTRS, SPANS, inSpan, trace } from '../../platform/telemetry.ts';
import { loadSinkConfig } from './config.ts';
import { Sink } from './sink.ts';

await runStageMain({
  service: 'sink',
  input: { topic: TOPICS.verdicts.name, schema: 'Verdict' },
  async setup({ log }) {
    const config = loadSinkConfig();
    const sink = new Sink(config, (from, to) => log.info({ from, to }, 'dataset folder renamed to its judge version\'s one-to-one name'));
    log.info({ datasets: config.datasetsDir, thresholds: config.thresholds }, 'writing datasets');
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
