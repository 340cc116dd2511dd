/**
 * The fake OpenAI server as a process of its own, for a stack in containers to reach (the compose
 * test runs it as a service): `node --import tsx test/support/fake-openai-main.ts SCRIPT.json`.
 * SCRIPT.json holds the FakeStep list; it listens on 0.0.0.0:$PORT (8080) and logs each request.
 */
import { readFileSync } from 'node:fs';
import { startFakeOpenAi, type FakeStep } from './fake-openai.js';

const steps = JSON.parse(readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8')) as FakeStep[];
const server = await startFakeOpenAi(steps, { host: '0.0.0.0', port: Number(process.env.PORT ?? 8080) });
process.stdout.write(`fake OpenAI listening at ${server.baseUrl} with ${steps.length} steps\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
