import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';
import { recordingSpec, removeByRepo, testDocker, testSandbox } from '../support/docker.js';
import { apiHarness, type ApiHarness } from './harness.js';

const docker = testDocker();
const sandbox = testSandbox(docker);
const repo = `acme/snapshot-${randomBytes(4).toString('hex')}`;
let h: ApiHarness;
let project: TestRepo;

beforeAll(async () => {
  h = await apiHarness({ machines: sandbox });
  project = makeGitRepo({});
});
afterAll(async () => {
  await h.close();
  project.remove();
  await removeByRepo(docker, repo);
});

describe('POST /v0/agents/:id/snapshot', () => {
  it("saves the owner's agent machine as the repository's snapshot for the workspace, and hides it from others", async () => {
    const id = await h.launch(h.keys.alice, { prompt: { text: 'set up the toolchain' }, source: { repository: repo } });
    await sandbox.prepare(recordingSpec(project.dir, repo, { agentId: id, workspace: 'api' }));

    const hidden = await h.call('POST', `/v0/agents/${id}/snapshot`, { key: h.keys.bob });
    expect(hidden.status).toBe(404);

    const saved = await h.call('POST', `/v0/agents/${id}/snapshot`);
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ id, repository: repo, snapshot: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const images = await docker.listImages({ filters: { label: ['errand.snapshot-kind=manual', 'errand.workspace=api', `errand.repo=${repo}`] } });
    expect(images).toHaveLength(1);

    const audit = await h.call('GET', '/v0/audit', { key: h.keys.admin });
    expect(JSON.stringify(audit.json)).toContain('agent.snapshot');
  });

  it('says which agents have no machine to save', async () => {
    const id = await h.launch(h.keys.alice, { prompt: { text: 'no machine yet' }, source: { repository: repo } });
    const reply = await h.call('POST', `/v0/agents/${id}/snapshot`);
    expect(reply.status).toBe(404);
    expect(JSON.stringify(reply.json)).toContain('has no machine on this Docker host');
  });
});
