// Requests to the agent's HTTP API (same origin). Failures become ApiError with the status
// and the agent's own message, which pages show as they are. Each carries the logged-in ACL
// token in X-Consul-Token.
import { withToken } from './token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Whether the agent answered with X-Consul-Index: a 404 then means "no such key". */
    readonly hasIndex = false,
  ) {
    super(message);
  }
}

export function apiUrl(path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query.set(name, value);
  }
  const text = query.toString().replace(/=(&|$)/g, '$1');
  return `/v1/${path}${text === '' ? '' : `?${text}`}`;
}

/** Path segments as the API wants them: each part encoded, slashes kept. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export async function apiRequest(
  method: 'GET' | 'PUT' | 'DELETE',
  url: string,
  body?: string,
  signal?: AbortSignal,
): Promise<Response> {
  const response = await fetch(url, {
    method,
    body,
    signal,
    headers: withToken(body === undefined ? {} : { 'content-type': 'application/octet-stream' }),
  });
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new ApiError(
      response.status,
      text === '' ? `${response.status} ${response.statusText}` : text,
      response.headers.has('x-consul-index'),
    );
  }
  return response;
}

export async function apiJson<T>(
  method: 'GET' | 'PUT' | 'DELETE',
  url: string,
  body?: string,
): Promise<T> {
  const response = await apiRequest(method, url, body);
  return (await response.json()) as T;
}

/** A 403: the token sent lacks a permission (or is unknown: "ACL not found"). */
export function isPermissionError(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 403;
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.status}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
