import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';
import { Scrubber } from '../src/redact/scrubber.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('secret scrubbing', () => {
  const tokens = {
    slackBot: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx',
    slackApp: 'xapp-1-A0123456789-1234567890123-abcdef0123456789',
    githubClassic: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    githubServer: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
    githubServerLong: `ghs_${'a'.repeat(40)}.${'b'.repeat(60)}_${'c'.repeat(30)}`,
    githubPat: `github_pat_11ABCDEFG0123456789_${'x'.repeat(59)}`,
    openai: 'sk-proj-abcdefghijklmnopqrstuvwxyz012345',
    anthropic: 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123456789',
    aws: 'AKIAIOSFODNN7EXAMPLE',
  };

  it.each(Object.entries(tokens))('removes a %s token from free text', (_kind, token) => {
    const out = new Scrubber().scrub(`failed with ${token} in the message`);
    expect(out).not.toContain(token);
    expect(out).toContain('[redacted]');
  });

  it('removes PEM private keys and credentials in URLs', () => {
    const scrubber = new Scrubber();
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';
    expect(scrubber.scrub(`key: ${pem} end`)).toBe('key: [redacted] end');
    expect(scrubber.scrub('clone https://x-access-token:abc123@github.com/a/b')).toBe('clone https://[redacted]@github.com/a/b');
  });

  it('removes values registered at run time', () => {
    const scrubber = new Scrubber();
    scrubber.add('hunter2-database-password');
    expect(scrubber.scrub('DB=hunter2-database-password;')).toBe('DB=[redacted];');
  });

  it('keeps secrets out of log lines: known fields, free text and error messages', () => {
    const scrubber = new Scrubber();
    scrubber.add('registered-secret-value');
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', scrubber, destination });
    log.info({ token: 'plain-token-field', headers: { authorization: 'Bearer abc' }, note: `uses ${tokens.slackBot}` }, `pushed with ${tokens.githubServer}`);
    log.error({ err: new Error(`auth failed for registered-secret-value`) }, 'push failed');
    const output = lines.join('');
    for (const secret of ['plain-token-field', 'Bearer abc', tokens.slackBot, tokens.githubServer, 'registered-secret-value']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('push failed');
  });
});
