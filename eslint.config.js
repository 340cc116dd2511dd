import tseslint from 'typescript-eslint';

const sdks = ['@slack/*', 'probot', '@octokit/*', 'bullmq', 'ioredis', 'dockerode', 'openai', '@anthropic-ai/*', 'express', 'pino'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'public/**'] },
  ...tseslint.configs.recommended,
  // Type-aware: promises that nobody awaits or that go where a void callback is expected are bugs
  // (`void` marks fire-and-forget on purpose).
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: sdks, message: 'src/core imports no SDK: define a port in src/core/ports and implement it in an adapter.' },
          { group: ['**/store/**', '**/queue/**', '**/sandbox/**', '**/frontends/**', '**/engine/**', '**/git/**', '**/secrets/**', '**/environment/**', '**/cli/**', '**/main.js', '**/config.js', '**/logger.js'], message: 'src/core imports only from src/core.' },
        ],
      }],
    },
  },
  // One owner of Errand's state: only the store, the queue and the connection code talk to Redis.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**', 'src/queue/**', 'src/redis/**', 'src/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['ioredis'], message: 'Only src/store, src/queue and src/redis talk to Redis: add a store module (src/store/redis) built on Keys.' }],
      }],
    },
  },
  // Jest's config and global setup hooks are read through their default export.
  { files: ['*.config.js', 'test/support/global-*.js'], rules: { 'no-restricted-syntax': 'off' } },
);
