// Flat key/value formats: Java .properties and dotenv (.env). Both give Record<string, string>.

/** Java .properties: `k=v`, `k: v` or `k v`; `#`/`!` comments; `\` line continuation; escapes. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    }
    let k = 0;
    while (k < line.length && !/[=:\s]/.test(line[k])) k += line[k] === '\\' ? 2 : 1;
    const key = unescapeProperties(line.slice(0, k));
    let rest = line.slice(k).replace(/^\s*/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^\s*/, '');
    out[key] = unescapeProperties(rest);
  }
  return out;
}

function endsWithOddBackslashes(line: string): boolean {
  const match = /\\+$/.exec(line);
  return match !== null && match[0].length % 2 === 1;
}

function unescapeProperties(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_all, escape: string) => {
    if (escape.length === 5) return String.fromCharCode(parseInt(escape.slice(1), 16));
    return { t: '\t', n: '\n', r: '\r', f: '\f' }[escape] ?? escape;
  });
}

/** dotenv: `KEY=value`, optional `export `, '…' literal, "…" with \n escapes, ` #` comments. */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re =
    /^\s*(?:export\s+)?([\w.-]+)\s*=\s*('(?:[^'])*'|"(?:\\.|[^"\\])*"|[^\n#]*?)\s*(?:#.*)?$/gm;
  const body = text.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
  for (const line of body.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    re.lastIndex = 0;
    const match = re.exec(line);
    if (!match) throw new Error(`.env: cannot parse line "${line}"`);
    const raw = match[2];
    if (raw.startsWith("'")) out[match[1]] = raw.slice(1, -1);
    else if (raw.startsWith('"')) {
      out[match[1]] = raw
        .slice(1, -1)
        .replace(/\\([nrt"\\])/g, (_a, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
    } else out[match[1]] = raw;
  }
  return out;
}
