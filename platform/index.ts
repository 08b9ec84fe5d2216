// The platform room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export {
  BlobMismatchError,
  type BlobStore,
  loadBlobConfig,
  LocalBlobStore,
  openBlobStore,
  readBlob,
  readCheckedBlob,
} from './blobStore.ts';
export {
  bool,
  httpUrl,
  port,
  DECLARED_SETTINGS,
  type Env,
  type KafkaConfig,
  loadKafkaConfig,
  LOCAL_REGISTRY_PORT,
  loadRuntimeConfig,
  parseEnv,
  type RuntimeConfig,
  SERVICE_NAMES,
  type ServiceName,
  webtrailHome,
} from './config.ts';
export {
  isDomainName,
  listedDomain,
  loadDomainLists,
  parseDomainList,
  readDomainListFile,
  RefreshingDomainList,
} from './domains.ts';
export {
  DependencyError,
  errorMessage,
  errorName,
  isRetriable,
  kafkaAway,
  outageOf,
  resourceExhaustion,
  TimeoutError,
  UserInputError,
  WebtrailError,
} from './errors.ts';
export { type HealthServer, startHealthServer } from './health.ts';
export { stableId } from './ids.ts';
export { KeyedLimiter } from './keyedLimiter.ts';
export { misnamedLlmSetting, refuseUnknownSettings } from './knownSettings.ts';
export { createLogger, type Logger } from './logger.ts';
export { createStageMetrics, type StageMetrics } from './metrics.ts';
export { percentile } from './percentile.ts';
export { printable } from './printable.ts';
export { retry, sleep } from './retry.ts';
export { ROOT, spawnTs, stageEntry } from './spawnTs.ts';
export { ATTRS, extractTraceContext, inSpan, newTaskTrace, SpanKind, SPANS, trace, traceHeaders } from './telemetry.ts';
export { DEFAULT_TOKENIZER, libraryTokenizer, loadTokenizer, type Tokenizer, tokenizerSetting } from './tokenizer.ts';
export { estimatePromptTokens, estimateTokens } from './tokens.ts';
export { childPids, commandLine, treeCpuSeconds, treePssMb } from './processTree.ts';
export { webtrailVersion } from './version.ts';
