// The sandbox room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { findTarget, planAction } from './planMatcher.ts';
export {
  type Misbehaviour,
  MISBEHAVIOURS,
  type ScriptedLlm,
  type ScriptedLlmOptions,
  startScriptedLlm,
} from './scriptedLlm.ts';
export { type Sandbox, sandboxSites, startSandbox } from './server.ts';
export { allTasks, DEMO_SITES, findTask, mirrorName, SITES } from './sites/index.ts';
