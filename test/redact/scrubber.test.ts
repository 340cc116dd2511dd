import { describe, expect, it } from '@jest/globals';
import { Scrubber } from '../../src/redact/scrubber.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('the scrubber', () => {
  it('removes JSON Web Tokens wherever they appear', () => {
    const jwt = `${b64('{"alg":"RS256","typ":"JWT"}').replace(/=+$/, '')}.${b64('{"iss":"12345","exp":1700000000}').replace(/=+$/, '')}.c2lnbmF0dXJlLXBhcnQ_-x`;
    expect(jwt.startsWith('eyJ')).toBe(true);
    const out = new Scrubber().scrub(`curl -H "Authorization: Bearer ${jwt}" and later token=${jwt}.`);
    expect(out).not.toContain('eyJ');
    expect(out).toContain('Authorization: Bearer [redacted]');
  });

  it('removes the base64 form of x-access-token:<token> and of any registered secret inside a Basic header', () => {
    const token = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
    const secret = 'correct-horse-battery-staple-42';
    const scrubber = new Scrubber();
    scrubber.add(token);
    scrubber.add(secret);
    for (const user of ['x-access-token', 'ci', 'deploy', 'a']) {
      for (const value of [token, secret]) {
        const encoded = b64(`${user}:${value}`);
        const out = scrubber.scrub(`header was ${encoded} here`);
        expect(out).toContain('[redacted]');
        // What is left cannot give the secret back: at most a couple of bytes at either end.
        const leftover = out.replace('header was ', '').replace(' here', '').split('[redacted]').join('');
        expect(Buffer.from(leftover, 'base64').toString('latin1')).not.toContain(value.slice(2, -2));
      }
    }
    expect(scrubber.scrub(`git -c http.extraHeader="Authorization: Basic ${b64('someone:unregistered-pass-123')}"`)).toBe('git -c http.extraHeader="Authorization: Basic [redacted]"');
  });

  it('keeps ordinary prose', () => {
    const prose = 'Basic understanding of the eyJ prefix: https://example.com/a@b is fine, as is mail@example.com.';
    expect(new Scrubber().scrub(prose)).toBe(prose);
  });
});
