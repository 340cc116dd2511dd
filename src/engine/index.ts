export { AgentRun, type Delivery, type EngineDeps, type EngineSettings } from './agent-run.js';
export { createEngine } from './create-engine.js';
export { createRunHandler, runAgentJob } from './run-agent.js';
