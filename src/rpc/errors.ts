// Errors a caller of the server port can see. Each names the address and, where there is one,
// the method, so that a log line says which server failed and why.

/** How a handler's error travels: its name (so `NotLeaderError` etc. can be recognised), its
 * message, and its own scalar fields (e.g. `leaderAddress`). */
export interface WireError {
  name: string;
  message: string;
  data?: Record<string, string | number | boolean | null>;
}

/** The handler on the remote server failed; `remoteName` is the error's name over there. */
export class RpcRemoteError extends Error {
  override name = 'RpcRemoteError';
  readonly remoteName: string;
  readonly data: Record<string, string | number | boolean | null>;

  constructor(
    readonly address: string,
    readonly method: string,
    error: WireError,
  ) {
    super(error.message);
    this.remoteName = error.name;
    this.data = error.data ?? {};
  }
}

/** The connection to `address` could not be made or was lost before the answer came. */
export class RpcConnectionError extends Error {
  override name = 'RpcConnectionError';
  /**
   * Whether the call had been written when the connection failed: then the server may have
   * run it, and only an idempotent call may be retried.
   */
  readonly mayHaveArrived: boolean;

  constructor(
    readonly address: string,
    readonly reason: string,
    options?: { cause?: unknown; mayHaveArrived?: boolean },
  ) {
    super(`rpc connection to ${address}: ${reason}`, options);
    this.mayHaveArrived = options?.mayHaveArrived ?? false;
  }
}

/** No answer within the call's deadline; the server was told to abandon the call. */
export class RpcTimeoutError extends Error {
  override name = 'RpcTimeoutError';

  constructor(
    readonly address: string,
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`rpc ${method} to ${address} timed out after ${timeoutMs} ms`);
  }
}

type Scalar = string | number | boolean | null;

/** The string, number, boolean and null fields of `source`, except name/message/stack. */
export function scalarFields(source: object): Record<string, Scalar> {
  const data: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      data[key] = value;
    }
  }
  return data;
}

/** Turns anything a handler threw into its wire form. */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  return { name: error.name, message: error.message, data: scalarFields(error) };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
