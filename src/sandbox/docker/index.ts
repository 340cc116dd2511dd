export { attach, attachCommand } from './attach.js';
export { createDockerClient, assertDockerReachable } from './docker-client.js';
export { createDockerSandbox } from './create-sandbox.js';
export { DockerSandbox, type DockerSandboxOptions } from './docker-sandbox.js';
export { Reaper, type ReaperOptions, type ReapResult } from './reaper.js';
export { describeIsolation, detectIsolation, type Isolation } from './isolation.js';
export { DockerMachineTerminals } from './machine-terminals.js';
