import { describe, expect, it } from '@jest/globals';
import { renderMarkdown } from '../../src/frontends/dashboard/markdown.js';

const render = (text: string) => renderMarkdown(text).value;

describe('agent Markdown on the dashboard', () => {
  it('renders headings, lists, emphasis, code spans, fenced code and tables', () => {
    const out = render('# Fix the greeting\n\n- changed **greet.sh**\n- ran `sh test.sh`\n\n```sh\necho "a < b && c"\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n');
    expect(out).toContain('<h1>Fix the greeting</h1>');
    expect(out).toContain('<li>changed <strong>greet.sh</strong></li>');
    expect(out).toContain('<code>sh test.sh</code>');
    expect(out).toContain('<pre><code class="language-sh">echo &quot;a &lt; b &amp;&amp; c&quot;\n</code></pre>');
    expect(out).toContain('<td>1</td>');
  });

  it('shows raw HTML as text: no tag passes through, <script> stays text', () => {
    for (const hostile of ['<script>alert(1)</script>', 'hi <img src=x onerror=alert(1)> there', '<iframe src="https://evil.test"></iframe>', '<a href="javascript:alert(1)">x</a>', '<style>body{display:none}</style>', '<!-- <script>x</script> -->']) {
      const out = render(hostile);
      expect(out).not.toMatch(/<(script|img|iframe|style|a)\b/i);
      expect(out).not.toContain('<!--');
    }
    expect(render('<script>alert(1)</script>')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('links only to http(s) and mailto; other schemes keep their text without a link', () => {
    expect(render('[docs](https://example.com/a?b=1&c=2)')).toContain('<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">docs</a>');
    expect(render('[mail](mailto:a@example.com)')).toContain('href="mailto:a@example.com"');
    for (const bad of ['[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))', '[x](data:text/html;base64,PHNjcmlwdD4=)', '[x](vbscript:msgbox)', '[x](/relative)', '[x](  javascript:alert(1))']) {
      const out = render(bad);
      expect(out).not.toContain('<a ');
      expect(out).toContain('x');
    }
    expect(render('<https://example.com>')).toContain('<a href="https://example.com/"');
    expect(render('![logo](https://example.com/logo.png)')).not.toContain('<img');
  });

  it('escapes attribute breakouts in link titles and URLs', () => {
    const out = render('[x](https://example.com/" onmouseover="alert(1) "title")');
    expect(out).not.toMatch(/<a[^>]* onmouseover=/);
  });
});
