import { parseFollowUpMode, parseLaunchRequest } from '../../src/core/launch-request.js';
import { ErrandError } from '../../src/core/errors.js';

function unknownOptionError(text: string): ErrandError {
  try {
    parseLaunchRequest(text);
  } catch (error) {
    if (error instanceof ErrandError) return error;
    throw error;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('launch request parsing', () => {
  it('takes options before the prompt', () => {
    expect(parseLaunchRequest('repo=acme/web branch=dev model=openai:gpt-4.1 fix the flaky login test')).toEqual({
      options: { repo: 'acme/web', branch: 'dev', model: 'openai:gpt-4.1' },
      prompt: 'fix the flaky login test',
    });
  });

  it('finds options written in the middle or at the end of the text', () => {
    expect(parseLaunchRequest('fix the login test repo=acme/web please autopr=false')).toEqual({
      options: { repo: 'acme/web', autopr: false },
      prompt: 'fix the login test please',
    });
  });

  it('reads the bracket form with commas and spaces', () => {
    expect(parseLaunchRequest('[repo=acme/web, branch=release/1.2] bump the version')).toEqual({
      options: { repo: 'acme/web', branch: 'release/1.2' },
      prompt: 'bump the version',
    });
  });

  it('accepts quoted values with spaces', () => {
    expect(parseLaunchRequest(`model="local:qwen coder" [x] branch='feature x' rename it`).options).toEqual({
      model: 'local:qwen coder',
      branch: 'feature x',
    });
  });

  it('lets a later duplicate win', () => {
    expect(parseLaunchRequest('repo=a/one do it repo=a/two').options.repo).toBe('a/two');
  });

  it('reports unknown options in the bracket form instead of eating them', () => {
    const error = unknownOptionError('[repo=a/b, colour=blue] paint it');
    expect(error.code).toBe('unknown_option');
    expect(error.message).toContain('`colour`');
    expect(error.message).toContain('`repo=`');
  });

  it('reports option-like words people commonly mistype', () => {
    expect(unknownOptionError('repository=a/b fix it').message).toContain('`repository`');
  });

  it('leaves key=value text that is part of the task in the prompt', () => {
    expect(parseLaunchRequest('set retries=3 in config.yml and check https://x.dev/?a=b').prompt).toBe(
      'set retries=3 in config.yml and check https://x.dev/?a=b',
    );
  });

  it('keeps line breaks of a multi-line prompt', () => {
    expect(parseLaunchRequest('repo=a/b first line\nsecond line').prompt).toBe('first line\nsecond line');
  });

  it('returns an empty prompt when only options are given', () => {
    expect(parseLaunchRequest('repo=a/b branch=main')).toEqual({ options: { repo: 'a/b', branch: 'main' }, prompt: '' });
  });

  it('refuses a boolean option with a value that is not a boolean', () => {
    expect(() => parseLaunchRequest('autopr=maybe do it')).toThrow('must be true or false');
  });

  it('treats option names case-insensitively', () => {
    expect(parseLaunchRequest('Repo=a/b Mode=ask what does it do').options).toEqual({ repo: 'a/b', mode: 'ask' });
  });
});

describe('plan mode and several repositories in launch text', () => {
  it('reads mode=plan and a comma list of repositories, inline or in brackets', () => {
    expect(parseLaunchRequest('mode=plan repo=acme/api,acme/web add the field').options).toEqual({ mode: 'plan', repos: ['acme/api', 'acme/web'] });
    expect(parseLaunchRequest('[repo=acme/api,acme/web, branch=dev] add it')).toEqual({ options: { repos: ['acme/api', 'acme/web'], branch: 'dev' }, prompt: 'add it' });
    expect(parseLaunchRequest('repo=acme/api,branch=dev add it').options).toEqual({ repo: 'acme/api', branch: 'dev' });
    expect(() => parseLaunchRequest('mode=draft fix it')).toThrow('must be `agent`, `ask` or `plan`');
    expect(parseFollowUpMode('mode=agent go ahead')).toEqual({ mode: 'agent', text: 'go ahead' });
    expect(parseFollowUpMode('set x=1 please')).toEqual({ text: 'set x=1 please' });
  });
});
