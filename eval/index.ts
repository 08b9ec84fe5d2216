// The eval room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { readDomainLabels, readDomainLists } from './domainLists.ts';
export { evaluateJudges, type JudgeEvalReport } from './judgeEval.ts';
export { readLabels } from './labels.ts';
export { mind2webOperation, readMind2WebSteps, runMind2WebStep } from './mind2web.ts';
export { mind2webMetrics, type Mind2WebMetrics, scoreStep, type StepOutcome } from './mind2webMetrics.ts';
export { openSavedHtml } from './savedPage.ts';
export { evaluateScreen, type ScreenEvalReport } from './screenEval.ts';
export { type FeasibilityReport, taskFeasibility } from './taskFeasibility.ts';
