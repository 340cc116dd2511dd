import { checkPattern, defaultSettings, describeNetwork, expandAllowlist, matchesPattern, migrateSettings, networkPolicy, normaliseHost, parsePatch, Settings } from '../../src/core/index.js';

describe('network allowlist patterns', () => {
  it.each([
    ['*', 'set the mode to full'],
    ['*.com', 'covers a whole public suffix'],
    ['*.co.uk', 'covers a whole public suffix'],
    ['*.github.io', 'covers a whole public suffix'],
    ['com', 'is a public suffix'],
    ['10.0.0.1', 'IP addresses are not allowed'],
    ['[::1]', 'IP addresses are not allowed'],
    ['169.254.169.254', 'IP addresses are not allowed'],
    ['registry.npmjs.org:443', 'without a port'],
    ['https://registry.npmjs.org', 'no scheme'],
    ['registry.npmjs.org/path', 'without a path'],
    ['foo.*.example.com', 'wildcard may only stand first'],
    ['exa mple.com', 'not a valid domain name'],
    ['preset:everything', 'unknown preset'],
  ])('refuses %s', (pattern, problem) => {
    expect(checkPattern(pattern).problem).toContain(problem);
  });

  it('keeps good patterns, lower-cased and with unicode as punycode', () => {
    expect(checkPattern('Registry.NPMjs.org')).toEqual({ value: 'registry.npmjs.org', problem: null });
    expect(checkPattern('*.pypi.org')).toEqual({ value: '*.pypi.org', problem: null });
    expect(checkPattern('bücher.example.de')).toEqual({ value: 'xn--bcher-kva.example.de', problem: null });
    expect(checkPattern('*.bücher.de')).toEqual({ value: '*.xn--bcher-kva.de', problem: null });
    expect(checkPattern('preset:package-registries')).toEqual({ value: 'preset:package-registries', problem: null });
  });

  it('matches exact names and names under a wildcard, compared in punycode', () => {
    const allowlist = expandAllowlist(['*.pypi.org', 'xn--bcher-kva.example.de']);
    const allowed = (host: string) => allowlist.some((pattern) => matchesPattern(normaliseHost(host)!, pattern));
    expect(allowed('files.pypi.org')).toBe(true);
    expect(allowed('pypi.org')).toBe(false);
    expect(allowed('evilpypi.org')).toBe(false);
    expect(allowed('BÜCHER.example.de.')).toBe(true);
    expect(allowed('xn--bcher-kva.example.de')).toBe(true);
    expect(normaliseHost('127.0.0.1')).toBeNull();
  });

  it('ships a package-registries preset covering the common registries and code hosts', () => {
    const domains = expandAllowlist(['preset:package-registries']);
    for (const domain of ['registry.npmjs.org', 'pypi.org', 'files.pythonhosted.org', 'crates.io', 'static.crates.io', 'proxy.golang.org', 'sum.golang.org', 'rubygems.org', 'repo1.maven.org', 'deb.debian.org', 'archive.ubuntu.com', 'github.com', 'codeload.github.com', 'objects.githubusercontent.com', 'gitlab.com']) {
      expect(domains).toContain(domain);
    }
    for (const domain of domains) expect(checkPattern(domain).problem).toBeNull();
  });
});

describe('network settings', () => {
  it('default to full in both phases with an empty allowlist', () => {
    const settings = defaultSettings();
    expect(networkPolicy(settings)).toEqual({ install: 'full', agent: 'full', allowlist: [] });
    expect(describeNetwork(networkPolicy(settings))).toBe('full');
  });

  it('read an old stored `network` setting as the same mode in both phases', () => {
    expect(networkPolicy(Settings.parse(migrateSettings({ network: 'none', defaultRepo: 'acme/web' })))).toEqual({ install: 'none', agent: 'none', allowlist: [] });
    expect(Settings.parse(migrateSettings({ network: 'full' })).networkAgent).toBe('full');
    expect(Settings.parse(migrateSettings({ network: 'none', networkAgent: 'allowlist' })).networkAgent).toBe('allowlist');
  });

  it('refuse a patch with a too-wide or malformed pattern, naming it', () => {
    expect(() => parsePatch({ networkAllowlist: ['registry.npmjs.org', '*.com'] })).toThrow(/networkAllowlist.1: "\*\.com": \*\.com covers a whole public suffix/);
    expect(() => parsePatch({ networkAgent: 'open' })).toThrow(/networkAgent/);
    expect(parsePatch({ networkAllowlist: ['Bücher.example.de', 'preset:package-registries'], networkInstall: 'allowlist' })).toEqual({
      networkAllowlist: ['xn--bcher-kva.example.de', 'preset:package-registries'],
      networkInstall: 'allowlist',
    });
  });

  it('describe a split policy per phase', () => {
    expect(describeNetwork({ install: 'allowlist', agent: 'none', allowlist: ['preset:package-registries', 'example.com'] })).toMatch(/^install allowlist \(\d+ domains\), agent none$/);
  });
});
