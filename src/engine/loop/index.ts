export { runAgentLoop, continueNudge, type AgentLoopOptions, type LoopLimits, type LoopOutcome, type LoopResult } from './agent-loop.js';
export { compactHistory, defaultCompact, type CompactOptions } from './history.js';
export { readRepoFacts, systemPrompt, taskMessage, type RepoFacts } from './system-prompt.js';
export { defineTool, modelTools, ToolFailure, type Tool, type ToolContext } from './tool.js';
export { allTools, toolsFor } from './tools.js';
export { workspacePath } from './workspace.js';
