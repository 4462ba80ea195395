// The CLI's way to an agent: Consul's common client flags and environment variables, and
// requests over Node's fetch.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseGoBool, type FlagSpec, type FlagValue } from '../config';

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
  {
    name: 'ca-file',
    kind: 'string',
    usage: "CA file to verify the agent's HTTPS certificate with (env CONSUL_CACERT).",
    placeholder: 'path',
  },
  {
    name: 'ca-path',
    kind: 'string',
    usage:
      "Directory of CA files to verify the agent's HTTPS certificate with (env CONSUL_CAPATH).",
    placeholder: 'path',
  },
  {
    name: 'client-cert',
    kind: 'string',
    usage: 'Client certificate for agents with verify_incoming (env CONSUL_CLIENT_CERT).',
    placeholder: 'path',
  },
  {
    name: 'client-key',
    kind: 'string',
    usage: 'Key of the client certificate (env CONSUL_CLIENT_KEY).',
    placeholder: 'path',
  },
  {
    name: 'tls-server-name',
    kind: 'string',
    usage: "Server name to check the agent's certificate against (env CONSUL_TLS_SERVER_NAME).",
    placeholder: 'name',
  },
];

/** How the CLI talks HTTPS: the CA to trust, its own certificate, whether to verify. */
export interface ClientTls {
  /** PEM text of the CA certificates; empty: the system's. */
  ca: string[];
  cert: string | null;
  key: string | null;
  /** CONSUL_HTTP_SSL_VERIFY=false turns verification off. */
  verify: boolean;
  servername: string | null;
}

/** What fetch takes besides RequestInit: undici's dispatcher. */
type Fetch = (url: URL, init: RequestInit) => Promise<Response>;

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
  private fetcher: Promise<Fetch> | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
    private readonly datacenter: string | null,
    private readonly stale: boolean,
    private readonly tls: ClientTls | null = null,
  ) {}

  static fromFlags(
    values: ReadonlyMap<string, FlagValue>,
    env: NodeJS.ProcessEnv = process.env,
  ): AgentHttpClient {
    const address =
      (values.get('http-addr') as string | undefined) || env.CONSUL_HTTP_ADDR || '127.0.0.1:8500';
    const baseUrl = baseUrlFor(address, parseGoBool(env.CONSUL_HTTP_SSL ?? '') === true);
    return new AgentHttpClient(
      baseUrl,
      tokenFrom(values, env),
      (values.get('datacenter') as string | undefined) ?? null,
      values.get('stale') === true,
      baseUrl.startsWith('https:') ? clientTlsFrom(values, env) : null,
    );
  }

  /** The same agent, token, datacenter and TLS as options of the SDK's client (lock, watch). */
  sdkOptions(): {
    address: string;
    token?: string;
    datacenter?: string;
    tls?: {
      ca?: string;
      cert?: string;
      key?: string;
      rejectUnauthorized: boolean;
      servername?: string;
    };
  } {
    const tls = this.tls;
    return {
      address: this.baseUrl,
      ...(this.token !== null ? { token: this.token } : {}),
      ...(this.datacenter !== null ? { datacenter: this.datacenter } : {}),
      ...(tls === null
        ? {}
        : {
            tls: {
              ...(tls.ca.length > 0 ? { ca: tls.ca.join('\n') } : {}),
              ...(tls.cert !== null ? { cert: tls.cert } : {}),
              ...(tls.key !== null ? { key: tls.key } : {}),
              rejectUnauthorized: tls.verify,
              ...(tls.servername !== null ? { servername: tls.servername } : {}),
            },
          }),
    };
  }

  /**
   * fetch with this client's TLS settings: over https, undici's fetch with an Agent that trusts
   * the configured CA and presents the client certificate; Node's own fetch otherwise.
   */
  async fetch(url: URL, init: RequestInit): Promise<Response> {
    this.fetcher ??= this.makeFetch();
    return (await this.fetcher)(url, init);
  }

  private async makeFetch(): Promise<Fetch> {
    const tls = this.tls;
    if (tls === null) return (url, init) => fetch(url, init);
    const undici = await import('undici');
    const dispatcher = new undici.Agent({
      connect: {
        ...(tls.ca.length > 0 ? { ca: tls.ca } : {}),
        ...(tls.cert !== null ? { cert: tls.cert } : {}),
        ...(tls.key !== null ? { key: tls.key } : {}),
        rejectUnauthorized: tls.verify,
        ...(tls.servername !== null ? { servername: tls.servername } : {}),
      },
    });
    // undici's own Request/Response types differ from the DOM ones Node's fetch uses.
    return (url, init) =>
      undici.fetch(url, {
        ...(init as Parameters<typeof undici.fetch>[1]),
        dispatcher,
      }) as unknown as Promise<Response>;
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
      return await this.fetch(url, init as RequestInit);
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

/**
 * The CLI's TLS settings from its flags, else Consul's environment variables: -ca-file /
 * CONSUL_CACERT (or -ca-path / CONSUL_CAPATH), -client-cert / CONSUL_CLIENT_CERT, -client-key /
 * CONSUL_CLIENT_KEY, -tls-server-name / CONSUL_TLS_SERVER_NAME, CONSUL_HTTP_SSL_VERIFY.
 */
export function clientTlsFrom(
  values: ReadonlyMap<string, FlagValue>,
  env: NodeJS.ProcessEnv = process.env,
): ClientTls {
  const setting = (flag: string, variable: string): string | null => {
    const value = (values.get(flag) as string | undefined) || env[variable] || '';
    return value === '' ? null : value;
  };
  const read = (what: string, path: string | null): string | null => {
    if (path === null) return null;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`Error loading ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const caFile = setting('ca-file', 'CONSUL_CACERT');
  const caPath = setting('ca-path', 'CONSUL_CAPATH');
  const ca =
    caFile !== null
      ? [read('CA file', caFile) as string]
      : caPath !== null
        ? readdirSync(caPath)
            .map((name) => join(caPath, name))
            .filter((path) => statSync(path).isFile())
            .map((path) => read('CA file', path) as string)
        : [];
  const cert = read('client certificate', setting('client-cert', 'CONSUL_CLIENT_CERT'));
  const key = read('client key', setting('client-key', 'CONSUL_CLIENT_KEY'));
  if ((cert === null) !== (key === null)) {
    throw new Error('A client certificate needs its key: set both -client-cert and -client-key');
  }
  return {
    ca,
    cert,
    key,
    verify: parseGoBool(env.CONSUL_HTTP_SSL_VERIFY ?? '') !== false,
    servername: setting('tls-server-name', 'CONSUL_TLS_SERVER_NAME'),
  };
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
