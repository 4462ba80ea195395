// Client options and where each comes from: explicit option, then the environment variables the
// Consul CLI and Go client read, then Consul's defaults.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** TLS settings for an `https://` agent address. */
export interface TlsOptions {
  /** CA certificate(s) (PEM) to trust, or a path to a PEM file. */
  ca?: string | Buffer;
  /** Client certificate (PEM or path) for mutual TLS. */
  cert?: string | Buffer;
  /** Client key (PEM or path) for mutual TLS. */
  key?: string | Buffer;
  /** Verify the agent's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Server name to verify instead of the address host. */
  servername?: string;
}

/** Read consistency: `default` (leader answers), `stale` (any server), `consistent` (quorum). */
export type Consistency = 'default' | 'stale' | 'consistent';

export interface ConsulOptions {
  /**
   * Agent address: `host:port`, `http://host:port` or `https://host:port`.
   * Default: `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500`.
   */
  address?: string;
  /** ACL token sent as `X-Consul-Token`. Default: `CONSUL_HTTP_TOKEN`. */
  token?: string;
  /** Datacenter for every request unless a call says otherwise (`?dc=`). */
  datacenter?: string;
  /** Default consistency mode of reads. */
  consistency?: Consistency;
  /**
   * TLS options; implies https when no scheme is given. Env: CONSUL_CACERT (or CONSUL_CAPATH, a
   * directory of CA files), CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_HTTP_SSL_VERIFY,
   * CONSUL_TLS_SERVER_NAME.
   */
  tls?: TlsOptions;
  /**
   * Per-request timeout in ms (default 30 000). A blocking read gets its `wait` plus the
   * server's jitter (wait/16) on top of this.
   */
  timeoutMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Environment to read defaults from (default `process.env`); tests pass their own. */
  env?: Record<string, string | undefined>;
}

export interface ResolvedOptions {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  token?: string;
  datacenter?: string;
  consistency: Consistency;
  tls?: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    rejectUnauthorized: boolean;
    servername?: string;
  };
  timeoutMs: number;
  headers: Record<string, string>;
}

export function resolveOptions(options: ConsulOptions = {}): ResolvedOptions {
  const env = options.env ?? process.env;
  const tlsFromEnv =
    env.CONSUL_CACERT || env.CONSUL_CAPATH || env.CONSUL_CLIENT_CERT || env.CONSUL_CLIENT_KEY;
  const sslEnv = /^(1|t|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  const wantsTls = options.tls !== undefined || sslEnv;
  const { protocol, host, port } = parseAddress(
    options.address ?? env.CONSUL_HTTP_ADDR ?? '127.0.0.1:8500',
    wantsTls ? 'https:' : 'http:',
  );
  const tlsOptions: TlsOptions = {
    ca: env.CONSUL_CACERT || caDirectory(env.CONSUL_CAPATH),
    servername: env.CONSUL_TLS_SERVER_NAME || undefined,
    cert: env.CONSUL_CLIENT_CERT,
    key: env.CONSUL_CLIENT_KEY,
    rejectUnauthorized: env.CONSUL_HTTP_SSL_VERIFY
      ? !/^(0|f|false)$/i.test(env.CONSUL_HTTP_SSL_VERIFY)
      : undefined,
    ...options.tls,
  };
  const token = options.token ?? (env.CONSUL_HTTP_TOKEN || undefined);
  return {
    protocol,
    host,
    port,
    token,
    datacenter: options.datacenter,
    consistency: options.consistency ?? 'default',
    tls:
      protocol === 'https:' || tlsFromEnv
        ? {
            ca: pem(tlsOptions.ca),
            cert: pem(tlsOptions.cert),
            key: pem(tlsOptions.key),
            rejectUnauthorized: tlsOptions.rejectUnauthorized ?? true,
            servername: tlsOptions.servername,
          }
        : undefined,
    timeoutMs: options.timeoutMs ?? 30_000,
    headers: { ...options.headers },
  };
}

/** `host:port`, `[v6]:port`, with optional `http://` / `https://`; port defaults to 8500 / 8501. */
export function parseAddress(
  address: string,
  defaultProtocol: 'http:' | 'https:' = 'http:',
): { protocol: 'http:' | 'https:'; host: string; port: number } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address)
    ? address
    : `${defaultProtocol}//${address}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported agent address scheme "${url.protocol}" in "${address}"`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 8501 : 8500;
  return { protocol: url.protocol, host, port };
}

/** Every file of a CA directory (CONSUL_CAPATH), concatenated; undefined when unset. */
function caDirectory(dir: string | undefined): Buffer | undefined {
  if (dir === undefined || dir === '') return undefined;
  const files = readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
  return Buffer.concat(files.flatMap((path) => [readFileSync(path), Buffer.from('\n')]));
}

/** A PEM given inline stays as is; anything else is a path to read. */
function pem(value: string | Buffer | undefined): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  if (Buffer.isBuffer(value)) return value;
  return value.includes('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}
