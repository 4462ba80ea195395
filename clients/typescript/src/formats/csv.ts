// CSV per RFC 4180: comma-separated fields, CRLF or LF records, double-quoted fields that may hold
// commas, newlines and doubled quotes. The first record is the header; each later record becomes
// an object keyed by it, with optional per-column converters.

/** A column's type: a built-in conversion or a function from the field text. */
export type CsvColumnType =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'json'
  | ((field: string, context: { row: number; column: string }) => unknown);

export interface CsvOptions {
  /** Converters by header name; columns not listed stay strings. */
  columns?: Record<string, CsvColumnType>;
  /** Field separator (default `,`). */
  delimiter?: string;
  /** Skip records whose fields are all empty (default true). */
  skipEmptyLines?: boolean;
  /** Trim spaces around unquoted fields (default false, as RFC 4180). */
  trim?: boolean;
}

/** Splits CSV text into records of fields. Throws on an unterminated quote. */
export function parseCsvRecords(text: string, delimiter = ','): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let atFieldStart = true;
  while (i < text.length) {
    const c = text[i];
    if (atFieldStart && c === '"') {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`CSV line ${quoteLine}: unterminated quoted field`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (text[i] === '\n') line++;
        field += text[i++];
      }
      atFieldStart = false;
      // Only a delimiter or the end of the record may follow a closing quote.
      if (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        throw new Error(`CSV line ${line}: unexpected "${text[i]}" after a closing quote`);
      }
      continue;
    }
    if (c === delimiter) {
      record.push(field);
      field = '';
      atFieldStart = true;
      i++;
    } else if (c === '\r' || c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      atFieldStart = true;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      field += c;
      atFieldStart = false;
      i++;
    }
  }
  if (!atFieldStart || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Parses CSV with a header line into one object per data record. */
export function parseCsv<Row = Record<string, unknown>>(
  text: string,
  options: CsvOptions = {},
): Row[] {
  const skipEmpty = options.skipEmptyLines ?? true;
  const records = parseCsvRecords(text, options.delimiter ?? ',').filter(
    (record) => !skipEmpty || record.some((field) => field !== ''),
  );
  if (records.length === 0) return [];
  const header = records[0].map((name) => name.trim());
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`CSV header: duplicate column "${duplicate}"`);
  for (const name of Object.keys(options.columns ?? {})) {
    if (!header.includes(name)) throw new Error(`CSV header: missing column "${name}"`);
  }
  return records.slice(1).map((record, r) => {
    const row = r + 2;
    if (record.length !== header.length) {
      throw new Error(
        `CSV record ${row}: ${record.length} fields, the header has ${header.length}`,
      );
    }
    const out: Record<string, unknown> = {};
    header.forEach((column, c) => {
      const text = options.trim ? record[c].trim() : record[c];
      out[column] = convert(text, options.columns?.[column] ?? 'string', row, column);
    });
    return out as Row;
  });
}

function convert(field: string, type: CsvColumnType, row: number, column: string): unknown {
  if (typeof type === 'function') return type(field, { row, column });
  const fail = (what: string): never => {
    throw new Error(`CSV record ${row}, column "${column}": "${field}" is not ${what}`);
  };
  switch (type) {
    case 'string':
      return field;
    case 'number': {
      const value = field.trim() === '' ? NaN : Number(field);
      return Number.isFinite(value) ? value : fail('a number');
    }
    case 'integer': {
      return /^\s*[-+]?\d+\s*$/.test(field) ? Number(field) : fail('an integer');
    }
    case 'boolean': {
      const lower = field.trim().toLowerCase();
      if (['true', 'yes', '1'].includes(lower)) return true;
      if (['false', 'no', '0'].includes(lower)) return false;
      return fail('a boolean');
    }
    case 'json':
      try {
        return JSON.parse(field);
      } catch {
        return fail('JSON');
      }
  }
}
