// Validators are structural so that any schema library fits without a dependency: a function
// that returns the typed value or throws, an object with `parse` (zod, valibot wrappers, yup-like)
// or one with `safeParse` (zod).

export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: unknown };

/** Turns parsed settings data into `T`, or rejects it. */
export type Validator<T> =
  | ((input: unknown) => T)
  | { parse(input: unknown): T }
  | { safeParse(input: unknown): SafeParseResult<T> };

/** Thrown or reported when settings data fails its validator. */
export class SettingsValidationError extends Error {
  override readonly name = 'SettingsValidationError';
  constructor(
    message: string,
    /** Where the data came from (KV key or prefix, or the cache file). */
    readonly source: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Runs `validator` on `input`; throws SettingsValidationError on rejection. */
export function runValidator<T>(
  validator: Validator<T> | undefined,
  input: unknown,
  source: string,
): T {
  if (validator === undefined) return input as T;
  try {
    if (typeof validator === 'function') return validator(input);
    if ('safeParse' in validator) {
      const result = validator.safeParse(input);
      if (result.success) return result.data;
      throw result.error;
    }
    return validator.parse(input);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SettingsValidationError(`invalid settings from ${source}: ${detail}`, source, {
      cause: error,
    });
  }
}
