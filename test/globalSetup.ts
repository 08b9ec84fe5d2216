// Starts the local Kafka broker once for the whole test run (or uses KAFKA_BROKERS / a running one),
// and stops it afterwards only if this run started it.
import { startKafka, stopKafka } from '../scripts/localKafka.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const result = await startKafka(process.env, (line) => console.log(line));
  console.log(result.started ? `Kafka started in ${result.startMs} ms` : `using Kafka at ${result.brokers.join(',')}`);
  return async () => {
    if (result.started) await stopKafka();
  };
}
