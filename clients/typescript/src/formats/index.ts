// Settings formats by name or file extension; a user-supplied parser is also a format.
import { parseCsv, type CsvOptions } from './csv';
import { parseEnv, parseProperties } from './properties';
import { parseYaml } from './yaml';

export { parseCsv, parseCsvRecords, type CsvColumnType, type CsvOptions } from './csv';
export { parseEnv, parseProperties } from './properties';
export { parseYaml } from './yaml';

export type FormatName = 'json' | 'yaml' | 'properties' | 'env' | 'csv' | 'text';

/** A parser from the value's text (and its KV key) to data. Throw to reject the value. */
export type Parser = (text: string, key: string) => unknown;

export type Format = FormatName | Parser;

const byExtension: Record<string, FormatName> = {
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  properties: 'properties',
  env: 'env',
  csv: 'csv',
  txt: 'text',
};

/** The format a key's extension names (`app.yaml` → yaml), or undefined. */
export function formatOfKey(key: string): FormatName | undefined {
  const base = key.slice(key.lastIndexOf('/') + 1);
  if (base === '.env') return 'env';
  const dot = base.lastIndexOf('.');
  return dot < 0 ? undefined : byExtension[base.slice(dot + 1).toLowerCase()];
}

/** Parses `text` in `format`. */
export function parseFormat(format: Format, text: string, key: string, csv?: CsvOptions): unknown {
  if (typeof format === 'function') return format(text, key);
  switch (format) {
    case 'json':
      return JSON.parse(text);
    case 'yaml':
      return parseYaml(text);
    case 'properties':
      return parseProperties(text);
    case 'env':
      return parseEnv(text);
    case 'csv':
      return parseCsv(text, csv);
    case 'text':
      return text;
  }
}
