// The sink service: webtrail.verdicts → webtrail.training-examples + dataset files.
import { Partitioners } from 'kafkajs';
import { HEADER_SCHEMA, TOPICS, type TrainingExample } from '../../schemas/index.ts';
import { recordBytes, RecordProducer, runStageMain, sizeProblem } from '../../bus/index.ts';
import { ATTRS, errorMessage, inSpan, SPANS, trace } from '../../platform/index.ts';
import { loadSinkConfig } from './config.ts';
import { Sink } from './sink.ts';
import { OverdueSettler, settleIntervalMs } from './overdueSettler.ts';
import { describeFilter } from '../../dataset/index.ts';

const exampleRecord = (e: TrainingExample) => ({
  topic: TOPICS.trainingExamples.name,
  key: e.exampleId,
  schema: 'TrainingExample' as const,
  value: e,
});

await runStageMain({
  service: 'sink',
  input: { topic: TOPICS.verdicts.name, schema: 'Verdict' },
  async setup({ log, kafka, codec: busCodec }) {
    const config = loadSinkConfig();
    const sink = new Sink(config, {
      onOtherRun: (verdict, kept) =>
        log.info(
          { trajectoryId: verdict.trajectoryId, runId: verdict.trajectory.runId, keptRunId: kept },
          'another run of a trajectory already in the dataset (a redelivered rollout): not added',
        ),
      onMigrated: (from, to) => log.info({ from, to }, "dataset folder renamed to its judge version's one-to-one name"),
      onDatasetError: (what, error) =>
        log.error({ err: errorMessage(error) }, `${what} failed; the last good file stays, and it is tried again`),
      onAttemptHeld: (verdict, judged, attempts) =>
        log.debug(
          { taskId: verdict.trajectory.task.taskId, attempt: verdict.trajectory.attempt, judged, attempts },
          "attempt held until its task's other attempts are judged",
        ),
      onAttemptsDecided: (d) =>
        log.info(
          {
            taskId: d.taskId,
            kept: d.trajectoryId,
            attempt: d.attempt,
            judged: `${d.judged}/${d.attempts}`,
            ...(d.by === -1 ? { waitedMs: config.attemptsWaitMs } : {}),
          },
          d.by === -1
            ? 'best of the attempts judged in time kept (the others never came)'
            : "best of the task's attempts kept",
        ),
      onLateAttempt: (verdict, d) =>
        log.info(
          { taskId: d.taskId, attempt: verdict.trajectory.attempt, kept: d.trajectoryId },
          'an attempt of a task decided already (late, or delivered again): not added',
        ),
      exampleProblem: (e) => {
        const bytes =
          recordBytes({ key: e.exampleId, value: null, headers: { [HEADER_SCHEMA]: 'TrainingExample' } }) +
          busCodec.encodedSize('TrainingExample', e);
        return sizeProblem(TOPICS.trainingExamples.name, bytes);
      },
    });
    const { recovered } = sink;
    if (recovered.shards.length > 0 || recovered.temporaryFiles.length > 0)
      log.warn(
        { shards: recovered.shards, temporaryFiles: recovered.temporaryFiles },
        'recovered the datasets folder left by a crash or a full disk: open shards finished at their durable length, temporary files removed',
      );
    log.info(
      {
        datasets: config.datasetsDir,
        filter: describeFilter(config.filter),
        scrubPii: config.scrubPii,
        attemptsWaiting: sink.attemptsWaiting,
      },
      'writing datasets',
    );

    // Overdue best-of-n tasks are sent with a producer of their own: no verdict is being handled to carry them.
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const records = new RecordProducer(producer, busCodec);
    const settler = new OverdueSettler(
      sink,
      async (examples) => records.send(await Promise.all(examples.map((e) => records.encode(exampleRecord(e))))),
      (error) =>
        log.warn(
          { err: errorMessage(error) },
          'settling overdue best-of-n tasks failed; trying again on the next tick',
        ),
    );
    settler.start(settleIntervalMs(config.attemptsWaitMs));
    return {
      close: async () => {
        await settler.stop();
        await records.drain();
        await producer.disconnect();
        await sink.close();
      },
      handler: async (verdict) => {
        trace.getActiveSpan()?.setAttributes({ [ATTRS.trajectoryId]: verdict.trajectoryId });
        const examples = await inSpan(SPANS.sink, { attributes: { 'webtrail.examples': 0 } }, async (span) => {
          const made = await sink.accept(verdict);
          span.setAttribute('webtrail.examples', made.length);
          return made;
        });
        return examples.map(exampleRecord);
      },
    };
  },
});
