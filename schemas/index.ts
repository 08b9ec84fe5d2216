// The schemas room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export {
  AvroCodec,
  HEADER_SCHEMA,
  type Headers,
  headerString,
  HISTORY_DIR,
  type SchemaRegistryClient,
  SUBJECT_STRATEGIES,
  type SubjectStrategy,
  type WriterSchemaSource,
} from './codec.ts';
export {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  compatibilityProblems,
  isCompatibilityLevel,
} from './compatibility.ts';
export { SchemaError } from './errors.ts';
export { judgeVersionFolder, judgeVersionProblem, legacyJudgeVersionFolder } from './judgeVersion.ts';
export {
  describeType,
  loadSchemaTypes,
  readSchemaJson,
  SCHEMA_DIR,
  SCHEMA_NAMES,
  type SchemaName,
  standaloneSchemaText,
} from './schemaFiles.ts';
export {
  allTopics,
  DLQ_SERVICES,
  dlqTopic,
  findTopic,
  STAGE_INPUTS,
  taskRecordKey,
  TOPIC_PREFIX,
  topicPrefix,
  TOPICS,
  type TopicSpec,
} from './topics.ts';
export {
  type Action,
  ActionKindValues,
  type ActionResult,
  type ChatMessage,
  type DeadLetter,
  type FailureStage,
  type SchemaTypes,
  type ScreenedSite,
  type Site,
  type SiteRejection,
  type Step,
  type Task,
  type TokenUsage,
  type TrainingExample,
  type Trajectory,
  type Verdict,
} from './types.ts';
export { BLOCKLISTED_CATEGORY, SUPPRESSED_CATEGORY } from './rejectionCategories.ts';
export { guardEventsOf } from './guardEvents.ts';
