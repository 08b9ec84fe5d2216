// The bus room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { createKafka, ensureTopics, fetchGroupPosition, groupPosition, recordCount, topicConfig } from './client.ts';
export { clusterStatus } from './clusterStatus.ts';
export { type KafkaSession, openKafkaSession, requireTopics } from './kafkaSession.ts';
export { type OutputRecord, recordBytes, RecordProducer, sizeProblem } from './recordProducer.ts';
export { createCodec, loadRegistryConfig } from './registry/registryClient.ts';
export { startSchemaRegistry } from './registry/registryServer.ts';
export { runStageMain } from './startStage.ts';
export { followRecords } from './topicFollower.ts';
export { readTopics, type TappedRecord } from './topicReader.ts';
