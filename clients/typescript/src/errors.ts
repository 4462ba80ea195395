// Errors the SDK throws: one for an HTTP answer that is not a success, one for a request that
// never got an answer. Both carry the request line so that a log shows what was asked.

/** The agent answered with a non-success status (4xx/5xx). */
export class ConsulError extends Error {
  override readonly name = 'ConsulError';
  constructor(
    /** HTTP status code. */
    readonly status: number,
    /** The response body as text (Consul error bodies are plain text). */
    readonly body: string,
    readonly method: string,
    /** Path and query as sent, without the token. */
    readonly path: string,
    /** `X-Request-Id` / `X-Consul-Request-Id` of the response, when the agent or a proxy sent one. */
    readonly requestId?: string,
  ) {
    super(`${method} ${path}: ${status}${body ? ` (${body.trim()})` : ''}`);
  }
}

/** The request failed before an HTTP answer arrived: connection refused/reset, TLS, timeout. */
export class ConsulRequestError extends Error {
  override readonly name = 'ConsulRequestError';
  constructor(
    readonly method: string,
    readonly path: string,
    /** True when the per-request timeout fired. */
    readonly timedOut: boolean,
    options: { cause: unknown },
  ) {
    super(`${method} ${path}: ${timedOut ? 'timed out' : describeCause(options.cause)}`, options);
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** Whether `error` comes from an aborted AbortSignal (ours or Node's). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Creates the error `fetch` and Node throw when a signal aborts. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
