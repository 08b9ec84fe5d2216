// The scripts room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { pinnedVersion, startKafka } from './localKafka.ts';
export { startPrivateS3, stopS3 } from './localS3.ts';
