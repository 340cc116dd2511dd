/**
 * Keys whose shape varies between real environment files. Errand reads what it can from them and
 * never refuses a file over them: what it cannot read becomes a warning.
 */

export interface EnvironmentPort {
  name: string | null;
  port: number;
}

/**
 * `ports` as files write it: `[{ "name": "web", "port": 3000 }]`, `[3000]`, `["3000", "8080:80"]`,
 * `{ "web": 3000 }`. Errand does not forward ports (processes reach them inside the machine), so the
 * list is reported once and kept.
 */
export function readPorts(value: unknown, warnings: string[]): EnvironmentPort[] {
  if (value === undefined || value === null) return [];
  const ports: EnvironmentPort[] = [];
  const add = (name: string | null, raw: unknown, where: string) => {
    const port = portNumber(raw);
    if (port === null) warnings.push(`ports${where} is not a port number and is ignored`);
    else ports.push({ name, port });
  };
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
        const entry = item as Record<string, unknown>;
        const name = typeof entry.name === 'string' && entry.name.trim() ? entry.name.trim() : null;
        add(name, entry.port ?? entry.containerPort ?? entry.target, `[${index}]`);
      } else {
        add(null, item, `[${index}]`);
      }
    });
  } else if (typeof value === 'object') {
    for (const [name, raw] of Object.entries(value as Record<string, unknown>)) add(name, raw, `.${name}`);
  } else {
    add(null, value, '');
  }
  if (ports.length > 0) {
    const list = ports.map((p) => (p.name ? `${p.name} ${p.port}` : String(p.port))).join(', ');
    warnings.push(`ports are kept but not forwarded (processes reach them inside the machine): ${list}`);
  }
  return ports;
}

/** 3000, "3000", "8080:3000" (the container side counts), "3000/tcp". */
function portNumber(raw: unknown): number | null {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const match = /^(?:\d+:)?(\d+)(?:\/(?:tcp|udp))?$/i.exec(text);
  const port = match ? Number(match[1]) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null;
}

/**
 * `repositoryDependencies`: a list of repository references (`owner/name`, `github.com/owner/name`,
 * an https or ssh URL), as strings or objects with `url`, `repository` or `repo`.
 */
export function readDependencies(value: unknown, warnings: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    warnings.push('repositoryDependencies is not a list and is ignored');
    return [];
  }
  const found: string[] = [];
  value.forEach((item, index) => {
    const entry = item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : null;
    const raw = typeof item === 'string' ? item : (entry?.url ?? entry?.repository ?? entry?.repo);
    if (typeof raw === 'string' && raw.trim()) {
      if (!found.includes(raw.trim())) found.push(raw.trim());
    } else {
      warnings.push(`repositoryDependencies[${index}] names no repository and is ignored`);
    }
  });
  return found;
}
