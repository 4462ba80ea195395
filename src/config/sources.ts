// Reading configuration sources: JSON and HCL files, -config-dir directories, -hcl fragments.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as hcl from 'js-hcl-parser';
import { lineColumn, locateJsonError } from './json-position';
import { ConfigError, normalizeSource, type ConfigObject } from './normalize';

export type ConfigFormat = 'json' | 'hcl';

export interface LoadedSource {
  name: string;
  config: ConfigObject;
}

/** Parses HCL (v1, as Consul) into plain data; syntax errors name the line and column. */
export function parseHcl(text: string, source: string): unknown {
  const output = hcl.parse(text);
  const trimmed = output.trimStart();
  if (trimmed.startsWith('{')) return JSON.parse(output) as unknown;
  const located = /At (\d+):(\d+): (.*)$/s.exec(trimmed);
  const detail = located
    ? `line ${located[1]}, column ${located[2]}: ${located[3].trim()}`
    : trimmed.replace(/^unable to parse JSON: /, '');
  throw new ConfigError(`failed to parse ${source}: ${detail}`);
}

export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const offset = locateJsonError(text);
    if (offset === -1) throw new ConfigError(`failed to parse ${source}: ${message}`);
    const { line, column } = lineColumn(text, offset);
    const near = JSON.stringify(text.slice(offset, offset + 10));
    throw new ConfigError(
      `failed to parse ${source}: line ${line}, column ${column}: invalid JSON near ${near}`,
    );
  }
}

export function parseConfigText(text: string, format: ConfigFormat, source: string): LoadedSource {
  const parsed = format === 'hcl' ? parseHcl(text, source) : parseJson(text, source);
  return { name: source, config: normalizeSource(parsed, source) };
}

export function formatOf(path: string, forced?: ConfigFormat): ConfigFormat | null {
  if (forced !== undefined) return forced;
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.hcl') return 'hcl';
  return null;
}

export function loadConfigFile(path: string, forced?: ConfigFormat): LoadedSource {
  const format = formatOf(path, forced);
  if (format === null) {
    throw new ConfigError(
      `failed to parse ${path}: unknown format (expected .json or .hcl, or set -config-format)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`failed to read ${path}: ${describeFsError(err)}`);
  }
  return parseConfigText(text, format, path);
}

/**
 * A directory's *.json and *.hcl files in lexical order (not recursive); anything else is
 * skipped and reported through `warn`.
 */
export function loadConfigDir(
  dir: string,
  warn: (message: string) => void,
  forced?: ConfigFormat,
): LoadedSource[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new ConfigError(`failed to read config dir ${dir}: ${describeFsError(err)}`);
  }
  const sources: LoadedSource[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    if (formatOf(path, forced) === null) {
      warn(`skipping file ${path}, extension must be .hcl or .json, or config format must be set`);
      continue;
    }
    sources.push(loadConfigFile(path, forced));
  }
  return sources;
}

/** -config-file may name a directory too, as in Consul. */
export function loadConfigPath(
  path: string,
  warn: (message: string) => void,
  forced?: ConfigFormat,
): LoadedSource[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new ConfigError(`failed to read ${path}: ${describeFsError(err)}`);
  }
  return isDir ? loadConfigDir(path, warn, forced) : [loadConfigFile(path, forced)];
}

function describeFsError(err: unknown): string {
  if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
    return 'no such file or directory';
  }
  return err instanceof Error ? err.message : String(err);
}
