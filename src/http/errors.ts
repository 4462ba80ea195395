// Errors of the HTTP API and the one mapping from any thrown value to Consul's status + text.
import { HttpException } from '@nestjs/common';

import type { FilterError } from '../filter';
import { LeadershipLostError, NotLeaderError, StorageUnavailableError } from '../raft';

/** An error whose status code and plain-text body are exactly what Consul answers. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** Answer with `Connection: close` (a body we refused to read to its end). */
    readonly closeConnection = false,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** A body over its limit: the rest of it is not read, so the connection is not reused. */
export function tooLarge(message: string): HttpError {
  return new HttpError(413, message, true);
}

/** Consul answers every RPC failure (strconv errors, `invalid session`, …) with 500 + text. */
export function serverError(message: string): HttpError {
  return new HttpError(500, message);
}

/** A `?filter` that failed: Consul's 500 with its text, or 400 for what we refuse outright. */
export function filterFailure(error: FilterError): HttpError {
  return error.refused ? badRequest(error.message) : serverError(error.message);
}

export interface ErrorResponse {
  status: number;
  body: string;
  closeConnection: boolean;
  /** True when the error is ours to log: not a client mistake we answered on purpose. */
  unexpected: boolean;
}

/** Maps a thrown value to the status code and text body Consul would send. */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) {
    return {
      status: error.statusCode,
      body: error.message,
      closeConnection: error.closeConnection,
      unexpected: false,
    };
  }
  // Logged by Raft once when storage starts failing, not once per refused request.
  if (
    error instanceof NotLeaderError ||
    error instanceof LeadershipLostError ||
    error instanceof StorageUnavailableError
  ) {
    return { status: 500, body: error.message, closeConnection: false, unexpected: false };
  }
  // Nest hands Fastify's own errors (malformed requests) over as HttpExceptions.
  if (error instanceof HttpException && error.getStatus() < 500) {
    return {
      status: error.getStatus(),
      body: error.message,
      closeConnection: false,
      unexpected: false,
    };
  }
  const status = fastifyClientErrorStatus(error);
  if (status !== null) {
    return { status, body: (error as Error).message, closeConnection: false, unexpected: false };
  }
  const body = error instanceof Error ? error.message : String(error);
  return { status: 500, body, closeConnection: false, unexpected: true };
}

// Fastify's own errors (bad URL encoding, malformed requests) carry a 4xx statusCode.
function fastifyClientErrorStatus(error: unknown): number | null {
  if (!(error instanceof Error) || !('statusCode' in error)) return null;
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}
