// Checks a value as JSON, YAML or CSV off the page's thread, so that a 512 KiB value never
// freezes typing. Answers the first error with its line and column.
import { load } from 'js-yaml';
import Papa from 'papaparse';

export type Language = 'text' | 'json' | 'yaml' | 'csv';

export interface ValidateRequest {
  id: number;
  language: Language;
  text: string;
}

export interface ValidateAnswer {
  id: number;
  error: string | null;
}

self.onmessage = (event: MessageEvent<ValidateRequest>) => {
  const { id, language, text } = event.data;
  const answer: ValidateAnswer = { id, error: validate(language, text) };
  self.postMessage(answer);
};

function validate(language: Language, text: string): string | null {
  try {
    if (language === 'json') return validateJson(text);
    if (language === 'yaml') {
      load(text);
      return null;
    }
    if (language === 'csv') return validateCsv(text);
    return null;
  } catch (error) {
    if (error instanceof Error && 'mark' in error) {
      const mark = (error as Error & { mark: { line: number; column: number }; reason?: string })
        .mark;
      const reason = (error as { reason?: string }).reason ?? error.message;
      return `Invalid YAML at line ${mark.line + 1}, column ${mark.column + 1}: ${reason}`;
    }
    return error instanceof Error ? error.message : String(error);
  }
}

function validateJson(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    if (position === null) return `Invalid JSON: ${message}`;
    const offset = Number(position[1]);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return `Invalid JSON at line ${line}, column ${column}: ${message}`;
  }
}

/** RFC 4180: quotes must balance and every row must have as many fields as the first. */
function validateCsv(text: string): string | null {
  const result = Papa.parse<string[]>(text, { skipEmptyLines: true });
  const quoteError = result.errors.find((error) => error.type === 'Quotes');
  if (quoteError !== undefined) {
    return `Invalid CSV at row ${(quoteError.row ?? 0) + 1}: ${quoteError.message}`;
  }
  const rows = result.data;
  if (rows.length === 0) return null;
  const width = rows[0].length;
  const uneven = rows.findIndex((row) => row.length !== width);
  if (uneven >= 0) {
    return `Invalid CSV at row ${uneven + 1}: ${rows[uneven].length} fields where the first row has ${width}`;
  }
  return null;
}
