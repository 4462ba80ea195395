// Test harness: a real dev server agent started in this process on an ephemeral HTTP port, and a
// raw HTTP client (node:http, one connection per request) that shows bytes and headers as sent.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';

import pino from 'pino';

import { loadAgentConfig, parseAgentArgs, type AgentConfig } from '../../src/config';
import { startServerAgent, type ServerAgent } from '../../src/server';

export interface TestAgent {
  agent: ServerAgent;
  host: string;
  port: number;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResult>;
  stop(): Promise<void>;
}

export interface RequestOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length), in 64 KiB writes. */
  chunked?: boolean;
  signal?: AbortSignal;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (still gzip-compressed when the server compressed it). */
  raw: Buffer;
  /** The body decoded as UTF-8 (after gunzip when Content-Encoding is gzip). */
  text: string;
}

/**
 * A `-dev` agent with `-http-port 0`; `args` as `consulate agent` takes them, `configure` may
 * adjust the loaded configuration (e.g. turn off -dev's pretty JSON) before the agent starts.
 */
export async function startTestAgent(
  args: string[] = [],
  configure: (config: AgentConfig) => AgentConfig = (config) => config,
): Promise<TestAgent> {
  const { config } = loadAgentConfig(
    parseAgentArgs([
      '-dev',
      '-http-port',
      '0',
      '-dns-port',
      '0',
      '-server-port',
      '0',
      '-serf-lan-port',
      '0',
      '-serf-wan-port',
      '0',
      ...args,
    ]),
  );
  const agent = await startServerAgent(configure(config), pino({ level: 'silent' }));
  const [address] = agent.httpAddresses;
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  return {
    agent,
    host,
    port,
    request: (method, path, options = {}) => send(host, port, method, path, options),
    stop: () => agent.shutdown(),
  };
}

function send(
  host: string,
  port: number,
  method: string,
  path: string,
  options: RequestOptions,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined && !options.chunked) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = httpRequest(
      { host, port, method, path, headers, agent: false, signal: options.signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const decoded = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw,
            text: decoded.toString(),
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) {
      const body = Buffer.from(options.body);
      if (options.chunked) {
        for (let at = 0; at < body.length; at += 65536) req.write(body.subarray(at, at + 65536));
      } else {
        req.write(body);
      }
    }
    req.end();
  });
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (then throws). */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
