/** HTML that is already safe to send: built by `html` (every interpolation escaped) or trusted text. */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => entities[c] ?? c);
}

/** A value an `html` template may interpolate: text (escaped), safe HTML, lists of either, or nothing. */
export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The one way pages are built: a tagged template in which every interpolated value is escaped
 * (text, attribute values alike), unless it is itself `SafeHtml` made by this function.
 * `false`, `null` and `undefined` render as nothing, so `${cond && html`…`}` works.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i] as Interpolation) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Joins pieces of markup (or escaped text). */
export function join(parts: readonly Interpolation[], separator: Interpolation = ''): SafeHtml {
  return new SafeHtml(parts.map(render).join(render(separator)));
}
