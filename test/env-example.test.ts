import { readFileSync } from 'node:fs';
import { configEnv } from '../src/config.js';

/** `.env.example` stays the list of every setting: a variable config.ts reads must appear in it. */
describe('.env.example', () => {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  const listed = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));

  it('lists every variable config.ts reads, each once', () => {
    const missing = Object.values(configEnv).filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
    const names = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    expect(names.filter((name, at) => names.indexOf(name) !== at)).toEqual([]);
  });

  it('sets nothing: every setting is commented out until the operator fills it in', () => {
    expect(text.split('\n').filter((line) => /^[A-Z]/.test(line))).toEqual([]);
  });
});
