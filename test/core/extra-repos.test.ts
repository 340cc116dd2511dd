import { describe, expect, it } from '@jest/globals';
import { agentRepositories, assertDistinctRepos, extraRepoFolders, parseRepoRef, type Agent } from '../../src/core/index.js';
import { systemPrompt } from '../../src/engine/loop/system-prompt.js';
import { repositoriesSection } from '../../src/engine/run-text.js';

const refs = (...names: string[]) => names.map((name) => parseRepoRef(name));

describe('the folders of an agent’s other repositories', () => {
  it('are the repository names, owner-name when two share a name, the primary tracks it, or it is reserved', () => {
    expect(extraRepoFolders(refs('acme/api', 'https://git.example.com/tools/cli.git'))).toEqual(['api', 'cli']);
    expect(extraRepoFolders(refs('acme/web', 'other/web', 'acme/Web-2'))).toEqual(['acme-web', 'other-web', 'web-2']);
    expect(extraRepoFolders(refs('acme/docs', 'acme/api'), (folder) => folder === 'docs')).toEqual(['acme-docs', 'api']);
    expect(extraRepoFolders(refs('acme/artifacts'))).toEqual(['acme-artifacts']);
    // Even owner-name taken: numbered, never the same folder twice.
    expect(extraRepoFolders(refs('acme/docs'), (folder) => folder === 'docs' || folder === 'acme-docs')).toEqual(['acme-docs-2']);
  });

  it('refuses a repository named twice, however it is spelled', () => {
    expect(() => assertDistinctRepos(refs('acme/a', 'acme/b'))).not.toThrow();
    expect(() => assertDistinctRepos(refs('acme/a', 'https://github.com/ACME/a'))).toThrow('repository ACME/a is named twice');
    expect(() => assertDistinctRepos(refs('https://git.example.com/x/y.git', 'https://git.example.com/x/y'))).toThrow('named twice');
  });
});

describe('what a multi-repository agent is told and what its summary lists', () => {
  const agent: Pick<Agent, 'mode' | 'branch' | 'repo' | 'prompt' | 'context' | 'extraRepos' | 'prUrl' | 'prNumber'> = {
    mode: 'agent',
    branch: 'errand/add-field-abc123',
    repo: parseRepoRef('acme/app'),
    prompt: 'add the field',
    context: null,
    prUrl: 'https://github.com/acme/app/pull/3',
    prNumber: 3,
    extraRepos: [
      { repo: parseRepoRef('acme/lib'), path: 'lib', prUrl: 'https://github.com/acme/lib/pull/9', prNumber: 9 },
      { repo: parseRepoRef('acme/docs'), path: 'acme-docs', prUrl: null, prNumber: null },
    ],
  };

  it('tells the agent where each repository is, that the folder name was taken, and that each is its own git repository', () => {
    const prompt = systemPrompt({ agent, baseBranch: 'main', facts: { notes: '', topLevel: '', terminals: [] } });
    expect(prompt).toContain('- You work on 3 repositories. Besides the one at /workspace:');
    expect(prompt).toContain('  - acme/lib at /workspace/lib, from its default branch.');
    expect(prompt).toContain('  - acme/docs at /workspace/acme-docs (its name was taken, so its folder is owner-name), from its default branch.');
    expect(prompt).toContain('Each is its own git repository with its own `errand/add-field-abc123` branch');
    const single = systemPrompt({ agent: { ...agent, extraRepos: [] }, baseBranch: 'main', facts: { notes: '', topLevel: '', terminals: [] } });
    expect(single).not.toContain('repositories. Besides');
  });

  it('lists every repository with its PR, a push, or no changes; nothing for one repository', () => {
    const [lib, docs] = agent.extraRepos!;
    expect(repositoriesSection(agent, { pushed: true, prUrl: agent.prUrl }, [{ extra: lib!, outcome: { pushed: true, prUrl: lib!.prUrl } }, { extra: docs!, outcome: { pushed: false, prUrl: null } }])).toBe(
      ['Repositories:', '- acme/app (/workspace): https://github.com/acme/app/pull/3', '- acme/lib (/workspace/lib): https://github.com/acme/lib/pull/9', '- acme/docs (/workspace/acme-docs): no changes'].join('\n'),
    );
    expect(repositoriesSection(agent, { pushed: true, prUrl: null }, [])).toBeNull();
    expect(agentRepositories(agent).map((r) => [r.dir, r.prNumber, r.primary])).toEqual([['/workspace', 3, true], ['/workspace/lib', 9, false], ['/workspace/acme-docs', null, false]]);
  });
});
