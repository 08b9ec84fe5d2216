// The dashboard room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { loadDashboardConfig } from './config.ts';
export { verdictRow } from './records.ts';
export { loadPrices, type Prices, STAGES, StatsCollector, type StatsReport } from './statsReport.ts';
export { type Screenshot, standaloneTrajectoryHtml } from './trajectoryPage.ts';
