import type { Writable } from 'node:stream';
import { ErrandError } from '../core/index.js';

/** What reading a secret needs from stdin: a TTY gets a hidden prompt, anything else is read whole. */
export interface SecretInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * A secret's value, never from argv (it would land in shell history and `ps`): piped on stdin
 * (`errand secrets set NPM_TOKEN < token.txt`; one trailing newline is dropped), or typed at a
 * prompt that does not echo.
 */
export async function readSecretValue(input: SecretInput, output: Writable, name: string): Promise<string> {
  if (input.isTTY && input.setRawMode) return promptHidden(input, output, `Value for ${name} (input hidden): `);
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function promptHidden(input: SecretInput, output: Writable, prompt: string): Promise<string> {
  output.write(prompt);
  input.setRawMode?.(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      input.setRawMode?.(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new ErrandError('aborted', 'cancelled; nothing was stored'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}
