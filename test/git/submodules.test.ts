import { describe, expect, it } from '@jest/globals';
import { dependencyRef } from '../../src/engine/dependencies.js';
import { submoduleUrl } from '../../src/git/submodules.js';

describe('submodule URLs', () => {
  const base = 'https://github.com/acme/app.git';

  it('resolves relative URLs against the repository remote, as git does', () => {
    expect(submoduleUrl('../lib.git', base)).toBe('https://github.com/acme/lib.git');
    expect(submoduleUrl('./vendor/x', 'https://git.example.com/a/b')).toBe('https://git.example.com/a/b/vendor/x');
  });

  it('fetches ssh-style URLs over https from the same host', () => {
    expect(submoduleUrl('git@github.com:acme/lib.git', base)).toBe('https://github.com/acme/lib.git');
    expect(submoduleUrl('ssh://git@github.com/acme/lib.git', base)).toBe('https://github.com/acme/lib.git');
  });

  it.each(['/etc', 'file:///srv/secret.git', 'ext::sh -c touch% /tmp/pwned', 'git://github.com/acme/lib.git', '-uhelp'])('refuses %s', (url) => {
    expect(() => submoduleUrl(url, base)).toThrow();
  });
});

describe('repository dependency references', () => {
  it('reads owner/name, github.com paths, https and ssh URLs', () => {
    expect(dependencyRef('acme/lib')).toEqual({ url: 'acme/lib', fullName: 'acme/lib' });
    expect(dependencyRef('github.com/acme/lib')).toEqual({ url: 'acme/lib', fullName: 'acme/lib' });
    expect(dependencyRef('git@github.com:acme/lib.git')).toEqual({ url: 'acme/lib', fullName: 'acme/lib' });
    expect(dependencyRef('https://git.example.com/team/lib.git')).toEqual({ url: 'https://git.example.com/team/lib.git' });
  });

  it.each(['/home/me/secrets', 'file:///etc', 'ext::sh', 'lib'])('refuses %s', (reference) => {
    expect(() => dependencyRef(reference)).toThrow();
  });
});
