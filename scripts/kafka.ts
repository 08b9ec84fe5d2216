// npm run kafka:start | kafka:stop | kafka:status — the local broker and the local schema registry beside it; npm run kafka -- <tool> [args] —
// Kafka's own command-line tools against the configured cluster.
import { errorMessage, loadKafkaConfig, UserInputError } from '../platform/index.ts';
import { brokerAnswers, kafkaPaths, startKafka, stopKafka } from './localKafka.ts';
import { KAFKA_TOOLS, runKafkaTool, toolsHelp } from './kafkaTools.ts';
import { registryAnswers } from './localRegistry.ts';
import { loadRegistryConfig } from '../bus/index.ts';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      const result = await startKafka(process.env, (line) => console.log(line));
      if (result.external) console.log(`KAFKA_BROKERS is set: using ${result.brokers.join(',')}, nothing started`);
      else if (result.started)
        console.log(
          `Kafka ${result.version} ready on ${result.brokers.join(',')} in ${(result.startMs / 1000).toFixed(1)} s`,
        );
      else console.log(`Kafka already running on ${result.brokers.join(',')}`);
      const registry = result.registry;
      if (registry.external)
        console.log(`SCHEMA_REGISTRY_URL is set: using the registry at ${registry.url}, nothing started`);
      else if (registry.started)
        console.log(`schema registry ready on ${registry.url} in ${(registry.startMs / 1000).toFixed(1)} s`);
      else console.log(`schema registry already running on ${registry.url}`);
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
      const { url } = loadRegistryConfig();
      console.log(`schema registry ${url}: ${(await registryAnswers(url)) ? 'up' : 'down'}`);
      process.exitCode = up ? 0 : 1;
      return;
    }
    default:
      if (command && command in KAFKA_TOOLS) {
        process.exitCode = runKafkaTool(command, process.argv.slice(3));
        return;
      }
      throw new UserInputError(
        `usage: npm run kafka:start|kafka:stop|kafka:status, or npm run kafka -- <tool> [its options], where the tools are:\n${toolsHelp()}`,
      );
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`kafka: ${errorMessage(error)}`);
  process.exit(error instanceof UserInputError ? 2 : 1);
});
