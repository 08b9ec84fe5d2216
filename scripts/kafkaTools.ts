// Kafka's own command-line tools (the kafka-*.sh scripts of a Kafka download), run from the pinned jars
// against the configured cluster: `npm run kafka -- consumer-groups --list`. The bootstrap servers and
// the client security (KAFKA_SSL, KAFKA_SASL_*) come from webtrail's settings unless given.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Env, loadKafkaConfig, UserInputError } from '../platform/index.ts';
import { kafkaPaths, resolveJars } from './localKafka.ts';

interface Tool {
  mainClass: string;
  /** The option that takes a client properties file (security settings). */
  configOption: string;
  what: string;
}

export const KAFKA_TOOLS: Readonly<Record<string, Tool>> = {
  'consumer-groups': {
    mainClass: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    configOption: '--command-config',
    what: 'list, describe, delete groups; reset their offsets',
  },
  topics: {
    mainClass: 'org.apache.kafka.tools.TopicCommand',
    configOption: '--command-config',
    what: 'list, describe, create, alter topics',
  },
  configs: {
    mainClass: 'kafka.admin.ConfigCommand',
    configOption: '--command-config',
    what: 'describe and alter topic, broker and client configs',
  },
  'console-consumer': {
    mainClass: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
    configOption: '--consumer.config',
    what: 'print raw records (webtrail tap decodes them)',
  },
  'console-producer': {
    mainClass: 'org.apache.kafka.tools.ConsoleProducer',
    configOption: '--producer.config',
    what: 'produce raw records from standard input',
  },
  'get-offsets': {
    mainClass: 'org.apache.kafka.tools.GetOffsetShell',
    configOption: '--command-config',
    what: 'the offsets of topic partitions',
  },
  'log-dirs': {
    mainClass: 'org.apache.kafka.tools.LogDirsCommand',
    configOption: '--command-config',
    what: 'the log directories and their sizes',
  },
  'delete-records': {
    mainClass: 'org.apache.kafka.tools.DeleteRecordsCommand',
    configOption: '--command-config',
    what: 'delete records up to an offset',
  },
  'metadata-quorum': {
    mainClass: 'org.apache.kafka.tools.MetadataQuorumCommand',
    configOption: '--command-config',
    what: 'the KRaft quorum',
  },
};

export function toolsHelp(): string {
  return Object.entries(KAFKA_TOOLS)
    .map(([name, t]) => `  ${name.padEnd(17)} ${t.what}`)
    .join('\n');
}

/** The client properties for the tools, from KAFKA_SSL / KAFKA_SASL_*; null for a plain connection. */
function clientProperties(env: Env): string | null {
  const config = loadKafkaConfig('webtrail-kafka-tools', env);
  if (!config.ssl && !config.sasl) return null;
  const lines = [`security.protocol=${config.sasl ? (config.ssl ? 'SASL_SSL' : 'SASL_PLAINTEXT') : 'SSL'}`];
  if (config.sasl) {
    const mechanism = config.sasl.mechanism.toUpperCase();
    const module =
      mechanism === 'PLAIN'
        ? 'org.apache.kafka.common.security.plain.PlainLoginModule'
        : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    const quote = (s: string) => JSON.stringify(s);
    lines.push(
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=${module} required username=${quote(config.sasl.username)} password=${quote(config.sasl.password)};`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs a tool with its output on this process's; returns its exit status. */
export function runKafkaTool(name: string, args: string[], env: Env = process.env): number {
  const tool = KAFKA_TOOLS[name];
  if (!tool) throw new UserInputError(`no Kafka tool '${name}'; the tools are:\n${toolsHelp()}`);
  const libs = kafkaPaths(env).libs;
  resolveJars(kafkaPaths(env));
  const extra: string[] = [];
  if (!args.includes('--bootstrap-server') && !args.some((a) => a.startsWith('--bootstrap-server=')))
    extra.push('--bootstrap-server', loadKafkaConfig('webtrail-kafka-tools', env).brokers.join(','));
  // The credentials go to the tool in a file only it can read, removed afterwards; never on its command line.
  const properties = args.includes(tool.configOption) ? null : clientProperties(env);
  const dir = properties ? mkdtempSync(path.join(tmpdir(), 'webtrail-kafka-tool-')) : null;
  try {
    if (dir && properties) {
      const file = path.join(dir, 'client.properties');
      writeFileSync(file, properties, { mode: 0o600 });
      extra.push(tool.configOption, file);
    }
    const result = spawnSync(
      'java',
      [
        '-Xmx256m',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-cp',
        `${libs}/*`,
        tool.mainClass,
        ...args,
        ...extra,
      ],
      { stdio: 'inherit', env: { ...process.env, ...env } },
    );
    if (result.error) throw new UserInputError(`could not run java (${result.error.message}): install Java 17`);
    return result.status ?? 1;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
