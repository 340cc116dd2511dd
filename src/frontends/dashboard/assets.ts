import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';

/** Scripts and stylesheets a page adds to the dashboard's own. */
export interface ExtraAssets {
  scripts: string[];
  styles: string[];
}

/**
 * The dashboard's one script and one stylesheet, read once, served under content-hashed URLs;
 * and the web terminal's (xterm.js and its fit addon from node_modules, no CDN, plus our script).
 */
export interface Assets {
  scriptUrl: string;
  styleUrl: string;
  terminal: ExtraAssets;
  mount(app: Express): void;
}

interface Asset {
  url: string;
  body: Buffer;
  type: string;
}

const require = createRequire(import.meta.url);

function load(name: string, type: string, path = fileURLToPath(new URL(`./assets/${name}`, import.meta.url))): Asset {
  const body = readFileSync(path);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  return { url: `/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`, body, type };
}

/** A file of an installed package (its `lib/…` build), served as our own asset. */
function vendor(name: string, specifier: string, type: string): Asset {
  return load(name, type, require.resolve(specifier));
}

export function loadAssets(): Assets {
  const script = load('dashboard.js', 'text/javascript; charset=utf-8');
  const style = load('dashboard.css', 'text/css; charset=utf-8');
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  const xterm = vendor('xterm.js', '@xterm/xterm/lib/xterm.js', js);
  const xtermStyle = vendor('xterm.css', '@xterm/xterm/css/xterm.css', css);
  const fit = vendor('xterm-addon-fit.js', '@xterm/addon-fit/lib/addon-fit.js', js);
  const terminal = load('terminal.js', js);
  const terminalStyle = load('terminal.css', css);
  return {
    scriptUrl: script.url,
    styleUrl: style.url,
    terminal: { scripts: [xterm.url, fit.url, terminal.url], styles: [xtermStyle.url, terminalStyle.url] },
    mount(app) {
      for (const asset of [script, style, xterm, xtermStyle, fit, terminal, terminalStyle]) {
        app.get(asset.url, (_req, res) => {
          // The URL changes with the content, so browsers may keep it for good.
          res.set({ 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
          res.send(asset.body);
        });
      }
    },
  };
}
