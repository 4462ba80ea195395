// How a helper sees one call: its positional arguments, hash arguments, block functions and
// the render's context; errors thrown inside carry the template line of the call.
import type { RenderContext } from '../context';

export interface HelperCall {
  args: unknown[];
  hash: Record<string, unknown>;
  context: RenderContext;
  /** Handlebars' data frame (@index, @key, @root …). */
  frame: Record<string, unknown>;
  /** The block's body and {{else}} part, when called as a block helper. */
  block: {
    fn: (scope: unknown) => string;
    inverse: (scope: unknown) => string;
    scope: unknown;
  } | null;
}

export type HelperBody = (call: HelperCall) => unknown;

/** A helper's failure at a known place in the template. */
export class HelperError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super(message);
    this.name = 'HelperError';
  }
}

interface RawOptions {
  fn?: (scope: unknown, options?: unknown) => string;
  inverse?: (scope: unknown, options?: unknown) => string;
  hash?: Record<string, unknown>;
  data?: { consulate?: RenderContext } & Record<string, unknown>;
  loc?: { start?: { line?: number; column?: number } };
}

/** Adapts `body` to Handlebars' calling convention (options object last). */
export function adaptHelper(name: string, body: HelperBody) {
  return function helper(this: unknown, ...raw: unknown[]): unknown {
    const options = raw.pop() as RawOptions;
    const context = options.data?.consulate;
    const line = options.loc?.start?.line ?? null;
    const column = options.loc?.start?.column ?? null;
    if (context === undefined) {
      throw new HelperError(`${name}: called outside a Consulate render`, line, column);
    }
    const { fn, inverse } = options;
    try {
      return body({
        args: raw,
        hash: options.hash ?? {},
        context,
        frame: options.data ?? {},
        block:
          typeof fn === 'function'
            ? {
                fn: (s) => fn(s),
                inverse: (s) => (inverse === undefined ? '' : inverse(s)),
                scope: this,
              }
            : null,
      });
    } catch (err) {
      if (err instanceof HelperError) throw err;
      throw new HelperError(`${name}: ${(err as Error).message}`, line, column);
    }
  };
}

export function stringArg(call: HelperCall, position: number): string {
  const value = call.args[position];
  if (typeof value !== 'string') {
    throw new Error(`argument ${position + 1} must be a string, got ${describe(value)}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `"${value}"` : typeof value;
}
