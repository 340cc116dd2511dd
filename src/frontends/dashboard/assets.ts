import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';

/** The dashboard's one script and one stylesheet, read once, served under content-hashed URLs. */
export interface Assets {
  scriptUrl: string;
  styleUrl: string;
  mount(app: Express): void;
}

interface Asset {
  url: string;
  body: Buffer;
  type: string;
}

function load(name: string, type: string): Asset {
  const body = readFileSync(fileURLToPath(new URL(`./assets/${name}`, import.meta.url)));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const [base, ext] = name.split('.');
  return { url: `/assets/${base}.${hash}.${ext}`, body, type };
}

export function loadAssets(): Assets {
  const script = load('dashboard.js', 'text/javascript; charset=utf-8');
  const style = load('dashboard.css', 'text/css; charset=utf-8');
  return {
    scriptUrl: script.url,
    styleUrl: style.url,
    mount(app) {
      for (const asset of [script, style]) {
        app.get(asset.url, (_req, res) => {
          // The URL changes with the content, so browsers may keep it for good.
          res.set({ 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
          res.send(asset.body);
        });
      }
    },
  };
}
