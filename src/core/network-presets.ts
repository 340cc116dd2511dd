/**
 * Named groups of domains an allowlist can name as `preset:<name>`. `package-registries` is what
 * common installs need: npm and yarn, PyPI, crates.io, the Go module proxy, RubyGems, Maven
 * Central, Debian and Ubuntu mirrors, and GitHub/GitLab code hosting (git dependencies, release
 * downloads).
 */
export const networkPresets: Record<string, readonly string[]> = {
  'package-registries': [
    // npm, yarn (corepack fetches package managers from the npm registry)
    'registry.npmjs.org',
    'registry.yarnpkg.com',
    'repo.yarnpkg.com',
    // PyPI
    'pypi.org',
    'files.pythonhosted.org',
    // crates.io
    'crates.io',
    'static.crates.io',
    'index.crates.io',
    // Go
    'proxy.golang.org',
    'sum.golang.org',
    // RubyGems
    'rubygems.org',
    'index.rubygems.org',
    // Maven Central
    'repo.maven.apache.org',
    'repo1.maven.org',
    // Debian and Ubuntu mirrors
    'deb.debian.org',
    'security.debian.org',
    'archive.ubuntu.com',
    '*.archive.ubuntu.com',
    'security.ubuntu.com',
    'ports.ubuntu.com',
    // GitHub and GitLab code hosting
    'github.com',
    'codeload.github.com',
    'objects.githubusercontent.com',
    'raw.githubusercontent.com',
    'gitlab.com',
  ],
};
