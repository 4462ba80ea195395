// Checks for the arguments and replies of the server port's calls: a peer's bytes are decoded
// by msgpack into anything, and each method's parser takes only the shape it expects.
export type Fields = Record<string, unknown>;

export function record(raw: unknown, what: string): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${what}: expected an object`);
  }
  return raw as Fields;
}

export function field<T>(fields: Fields, name: string, check: (value: unknown) => value is T): T {
  const value = fields[name];
  if (!check(value)) throw new TypeError(`field ${name}: unexpected ${typeof value}`);
  return value;
}

export const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
export const isIndex = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
export const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
export const isString = (value: unknown): value is string => typeof value === 'string';
export const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
