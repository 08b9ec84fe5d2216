// The cli room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { chooseDataset } from './export.ts';
export { submitSites } from './submit.ts';
export { formatTable } from './table.ts';
