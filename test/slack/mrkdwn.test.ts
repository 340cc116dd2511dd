import { describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/core/index.js';
import { markdownToMrkdwn } from '../../src/frontends/slack/mrkdwn.js';

describe('agent Markdown as Slack mrkdwn', () => {
  it('turns headings into bold lines, bold into *bold*, and keeps code spans and blocks', () => {
    const out = markdownToMrkdwn('## What changed\n\nFixed **greet.sh** and _tidied_ ~~old~~ code: `sh test.sh`.\n\n```\nif a < b && c > d; then\n```');
    expect(out).toBe('*What changed*\n\nFixed *greet.sh* and _tidied_ ~old~ code: `sh test.sh`.\n\n```\nif a &lt; b &amp;&amp; c &gt; d; then\n```');
  });

  it('makes links <url|text>, only for http(s) and mailto', () => {
    expect(markdownToMrkdwn('See [the PR](https://github.com/o/r/pull/1).')).toBe('See <https://github.com/o/r/pull/1|the PR>.');
    expect(markdownToMrkdwn('[x](javascript:alert(1))')).toBe('x');
    expect(markdownToMrkdwn('[a|b>c](https://example.com/x|y)')).toBe('<https://example.com/x%7Cy|a¦b&gt;c>');
  });

  it('lists become bullet and numbered lines, nested ones indented', () => {
    expect(markdownToMrkdwn('- one\n- two\n  - deeper\n\n1. first\n2. second')).toBe('• one\n• two\n    • deeper\n\n1. first\n2. second');
  });

  it('escapes &, < and > so nothing becomes a mention, a channel ping or a link', () => {
    const out = markdownToMrkdwn('Hey <!channel> and <@U123> see <https://evil.test|here> & <script>alert(1)</script>');
    expect(out).not.toMatch(/<[!@#]/);
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;!channel&gt;');
    expect(out).toContain('&amp;');
  });

  it('keeps HTML entities the agent wrote as text', () => {
    expect(markdownToMrkdwn('Use &amp; not &, and "quotes"')).toBe('Use &amp; not &amp;, and "quotes"');
  });
});

describe('the Slack status message', () => {
  it('names the step in flight while running (full view only), escaped', async () => {
    const { statusMessage } = await import('../../src/frontends/slack/blocks.js');
    const agent: Agent = {
      id: 'ag_7k2m9x4p1q3r', owner: { kind: 'slack', workspace: 'T1', id: 'U1', name: 'Ada' }, workspace: 'T1', title: 'fix it', prompt: 'fix it',
      context: null, repo: { url: 'acme/app', fullName: 'acme/app' }, baseBranch: null, branch: 'errand/fix', model: 'openai:gpt', mode: 'agent', autoPr: true,
      status: 'running', conversations: [], prUrl: null, prNumber: null, summary: null, error: null, privacy: false,
      usage: { inputTokens: 0, outputTokens: 0 }, version: 1, createdAt: '', updatedAt: '', startedAt: null, finishedAt: null, expiresAt: '',
    };
    const step = { verb: 'running', detail: 'npm test -- <@U999> `x`' };
    const full = JSON.stringify(statusMessage(agent, 'full', undefined, step).blocks);
    expect(full).toContain(':gear: Now running `npm test -- &lt;@U999&gt; ˋxˋ`');
    expect(JSON.stringify(statusMessage(agent, 'status', undefined, step).blocks)).not.toContain('npm test');
  });
});
