// The CLI's way to an agent: Consul's common client flags and environment variables, and
// requests over Node's fetch.
import { readFileSync } from 'node:fs';
import type { FlagSpec, FlagValue } from '../config';

export const HTTP_CLIENT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'http-addr',
    kind: 'string',
    usage:
      'Address of the agent, with optional scheme (env CONSUL_HTTP_ADDR, default 127.0.0.1:8500).',
    placeholder: 'address',
  },
  {
    name: 'token',
    kind: 'string',
    usage: 'ACL token (env CONSUL_HTTP_TOKEN).',
    placeholder: 'value',
  },
  {
    name: 'token-file',
    kind: 'string',
    usage: 'File holding the ACL token (env CONSUL_HTTP_TOKEN_FILE).',
    placeholder: 'path',
  },
  {
    name: 'datacenter',
    kind: 'string',
    usage: "Datacenter to query (default: the agent's).",
    placeholder: 'name',
  },
  { name: 'stale', kind: 'bool', usage: 'Allow any server to answer, not only the leader.' },
];

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export class AgentHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`Unexpected response code: ${status} (${body.trim()})`);
    this.name = 'AgentHttpError';
  }
}

export class AgentHttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
    private readonly datacenter: string | null,
    private readonly stale: boolean,
  ) {}

  static fromFlags(
    values: ReadonlyMap<string, FlagValue>,
    env: NodeJS.ProcessEnv = process.env,
  ): AgentHttpClient {
    const address =
      (values.get('http-addr') as string | undefined) ?? env.CONSUL_HTTP_ADDR ?? '127.0.0.1:8500';
    return new AgentHttpClient(
      baseUrlFor(address, env.CONSUL_HTTP_SSL === 'true' || env.CONSUL_HTTP_SSL === '1'),
      tokenFrom(values, env),
      (values.get('datacenter') as string | undefined) ?? null,
      values.get('stale') === true,
    );
  }

  /** The headers every request carries (the ACL token). */
  headers(): Record<string, string> {
    return this.token === null ? {} : { 'X-Consul-Token': this.token };
  }

  /** Sends a request; `read` adds ?dc and ?stale, every request carries the token. */
  async request(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: Uint8Array | string; read?: boolean } = {},
  ): Promise<HttpResponse> {
    const response = await this.send(method, path, options);
    return {
      status: response.status,
      headers: response.headers,
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  /** Like request, but the body streams both ways (snapshot archives of any size). */
  stream(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: AsyncIterable<Uint8Array>; read?: boolean },
  ): Promise<Response> {
    return this.send(method, path, options);
  }

  private async send(
    method: string,
    path: string,
    options: {
      query?: Record<string, string>;
      body?: Uint8Array | string | AsyncIterable<Uint8Array>;
      read?: boolean;
    },
  ): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {}))
      url.searchParams.set(key, value);
    if (this.datacenter !== null) url.searchParams.set('dc', this.datacenter);
    if (options.read === true && this.stale) url.searchParams.set('stale', '');
    const headers = this.headers();
    const streamed =
      options.body !== undefined &&
      typeof options.body === 'object' &&
      Symbol.asyncIterator in options.body;
    try {
      // A streamed body needs duplex 'half' (undici); Node's RequestInit type does not list it.
      const init = { method, headers, body: options.body, ...(streamed ? { duplex: 'half' } : {}) };
      return await fetch(url, init as RequestInit);
    } catch (error) {
      throw new Error(`${method} ${url.href}: ${describeFetchError(error)}`);
    }
  }

  /** Like request, but any status other than 200 (and 404 when allowed) is an error. */
  async expectOk(
    method: string,
    path: string,
    options: Parameters<AgentHttpClient['request']>[2] & { allow404?: boolean } = {},
  ): Promise<HttpResponse> {
    const response = await this.request(method, path, options);
    if (response.status === 200 || (response.status === 404 && options.allow404 === true)) {
      return response;
    }
    throw new AgentHttpError(response.status, response.body.toString('utf8'));
  }
}

/** `127.0.0.1:8500`, `http://host:port`, `https://…`; unix sockets are not supported yet. */
export function baseUrlFor(address: string, ssl = false): string {
  if (address.startsWith('unix://')) {
    throw new Error(`unix socket addresses are not supported yet: ${address}`);
  }
  const withScheme = /^https?:\/\//.test(address)
    ? address
    : `${ssl ? 'https' : 'http'}://${address}`;
  return new URL(withScheme).origin;
}

function tokenFrom(values: ReadonlyMap<string, FlagValue>, env: NodeJS.ProcessEnv): string | null {
  const token = values.get('token') as string | undefined;
  if (token !== undefined && token !== '') return token;
  const tokenFile = (values.get('token-file') as string | undefined) ?? env.CONSUL_HTTP_TOKEN_FILE;
  if (tokenFile !== undefined && tokenFile !== '') return readFileSync(tokenFile, 'utf8').trim();
  return env.CONSUL_HTTP_TOKEN !== undefined && env.CONSUL_HTTP_TOKEN !== ''
    ? env.CONSUL_HTTP_TOKEN
    : null;
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connect: connection refused';
  return cause?.message ?? (error as Error).message;
}

/**
 * JSON.parse that keeps uint64 fields exact: the named integer fields are read as strings first
 * (KV Flags go up to 2^64-1, beyond what a JS number holds).
 */
export function parseJsonKeepingUint64(text: string, fields: readonly string[]): unknown {
  // The field names are the caller's constants, never user input.
  // eslint-disable-next-line no-restricted-syntax
  const pattern = new RegExp(`"(${fields.join('|')})"\\s*:\\s*(\\d+)`, 'gi');
  return JSON.parse(text.replace(pattern, '"$1":"$2"')) as unknown;
}
