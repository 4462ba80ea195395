// The renderer's Handlebars helpers: data helpers (watched) and pure value helpers.
import { adaptHelper, type HelperBody } from './call';
import { DATA_HELPERS } from './data';
import { VALUE_HELPERS } from './values';

export { HelperError } from './call';
export { parseCsvRows, formatTimestamp } from './values';

export const HELPERS: Readonly<Record<string, HelperBody>> = { ...DATA_HELPERS, ...VALUE_HELPERS };

/** Handlebars-callable versions of HELPERS. */
export function handlebarsHelpers(): Record<string, (...args: unknown[]) => unknown> {
  return Object.fromEntries(
    Object.entries(HELPERS).map(([name, body]) => [name, adaptHelper(name, body)]),
  );
}
