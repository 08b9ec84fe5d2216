// npm run kafka:start | kafka:stop | kafka:status — the local broker.
import { errorMessage, UserInputError } from '../platform/errors.ts';
import { brokerAnswers, kafkaPaths, startKafka, stopKafka } from './localKafka.ts';
import { loadKafkaConfig } from '../platform/config.ts';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      const result = await startKafka(process.env, (line) => console.log(line));
      if (result.external) console.log(`KAFKA_BROKERS is set: using ${result.brokers.join(',')}, nothing started`);
      else if (result.started) console.log(`Kafka ${result.version} ready on ${result.brokers.join(',')} in ${(result.startMs / 1000).toFixed(1)} s`);
      else console.log(`Kafka already running on ${result.brokers.join(',')}`);
      return;
    }
    case 'stop': {
      const stopped = await stopKafka();
      console.log(stopped ? 'Kafka stopped' : `no local Kafka running (pid file ${kafkaPaths().pidFile})`);
      return;
    }
    case 'status': {
      const { brokers } = loadKafkaConfig('webtrail-kafka-script');
      const up = await brokerAnswers(brokers);
      console.log(`${brokers.join(',')}: ${up ? 'up' : 'down'}`);
      process.exitCode = up ? 0 : 1;
      return;
    }
    default:
      throw new UserInputError('usage: kafka.ts start|stop|status');
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`kafka: ${errorMessage(error)}`);
  process.exit(error instanceof UserInputError ? 2 : 1);
});
