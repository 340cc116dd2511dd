import { html, type Interpolation, type SafeHtml } from '../html.js';
import type { Viewer } from '../auth.js';

export interface PageOptions {
  title: string;
  viewer: Viewer | null;
  /** Which entry of the navigation is this page. */
  nav?: 'agents' | 'new' | 'settings' | 'secrets' | 'audit';
  body: Interpolation;
  assets: { scriptUrl: string; styleUrl: string };
  /** More scripts and stylesheets for this page (the web terminal's). */
  extra?: { scripts: string[]; styles: string[] };
}

const navItems: { id: NonNullable<PageOptions['nav']>; href: string; label: string }[] = [
  { id: 'agents', href: '/', label: 'Agents' },
  { id: 'new', href: '/agents/new', label: 'New agent' },
  { id: 'settings', href: '/settings', label: 'Settings' },
  { id: 'secrets', href: '/secrets', label: 'Secrets' },
  { id: 'audit', href: '/audit', label: 'Audit log' },
];

/** The hidden CSRF field every form posted with a session carries. */
export function csrfField(viewer: Viewer | null): SafeHtml {
  return html`${viewer && html`<input type="hidden" name="csrf" value="${viewer.session.csrf}">`}`;
}

/** Every page: landmarks, a skip link, the navigation and who is signed in. */
export function page(options: PageOptions): SafeHtml {
  const { viewer } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · Errand</title>
<link rel="stylesheet" href="${options.assets.styleUrl}">
<script src="${options.assets.scriptUrl}" defer></script>
${options.extra?.styles.map((url) => html`<link rel="stylesheet" href="${url}">`)}
${options.extra?.scripts.map((url) => html`<script src="${url}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Errand</a>
  ${
    viewer &&
    html`<nav aria-label="Main">
    <ul>
      ${navItems.map((item) => html`<li><a href="${item.href}"${item.id === options.nav ? html` aria-current="page"` : ''}>${item.label}</a></li>`)}
    </ul>
  </nav>
  <form class="who" method="post" action="/logout">
    ${csrfField(viewer)}
    <span title="API key ${viewer.key.name} in workspace ${viewer.workspace}">${viewer.principal.name}${viewer.admin ? html` <span class="tag">admin</span>` : ''}</span>
    <button type="submit" class="link">Sign out</button>
  </form>`
  }
</header>
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>`;
}
