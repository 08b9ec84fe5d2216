// The llm room's public face: what other rooms may use of it (rooms.yaml; test/rooms.test.ts holds it).
export { type AgentPromptConfig, loadAgentPromptConfig } from './agentPromptConfig.ts';
export { EXPLORE_INSTRUCTION, EXPLORE_MAX_PAGES } from './exploration.ts';
export { addUsage, LlmCallError, type LlmClient, LlmOutputError, OpenAiLlmClient, zeroUsage } from './llmClient.ts';
export { loadLlmConfig } from './llmConfig.ts';
export { AgentOutput, JudgeOutput, ProposalOutput, RefinementOutput, ScreeningOutput } from './outputs.ts';
export { loadPrompt, type Prompt } from './prompts.ts';
export { nearDuplicateOf, proposedTaskProblem, startUrlOnSite } from './proposedTasks.ts';
export { checkContextAtStartup, minimumPromptTokens } from './startupContext.ts';
export { clipText, describeAction, formatHistory, pagesVisited } from './trajectoryText.ts';
