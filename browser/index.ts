// The browser room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { defaultChromium, loadBrowserConfig } from './browserConfig.ts';
export { BASE_ARGS, BrowserPool } from './browserPool.ts';
export { type BrowserSession, type GuardEvent, OBSERVE_SOURCE } from './browserSession.ts';
export { decodeHtml, serveDirectory } from './localPages.ts';
export { type ElementInfo, type Observation, type RawObservation, renderObservation } from './observation.ts';
export { openAndObserve } from './openPage.ts';
export { observeSnapshot } from './snapshot.ts';
export { chromiumSandboxProblem } from './sandboxProbe.ts';
export { descendants, listProcesses } from './chromiumProcesses.ts';
export { type Obstacle, obstacleOfLoadError, type ObstacleReason } from './obstacles.ts';
