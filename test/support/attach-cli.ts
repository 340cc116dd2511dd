// Runs the attach function the way `errand attach <agent-id>` does, for tests driving it in tmux.
import Docker from 'dockerode';
import { attach } from '../../src/sandbox/docker/attach.js';

const agentId = process.argv[2];
if (!agentId) throw new Error('usage: attach-cli.ts <agent-id>');
process.exitCode = await attach({ docker: new Docker(), agentId });
