// Real check targets for the runner tests: HTTP(S) servers, ports known to be closed, a
// self-signed certificate made with the openssl CLI.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Target {
  url: string;
  port: number;
  /** Requests seen, for assertions on what the check sent. */
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

/**
 * Routes: /ok 200, /busy 429, /error 500, /hang (never answers), /stream (endless body),
 * /stall (headers, then a body that never ends), /redirect → /ok, /loop (redirects forever),
 * /echo (200, body = what was received).
 */
export function routes(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  switch (req.url) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('fine');
      return;
    case '/busy':
      res.writeHead(429).end('slow down');
      return;
    case '/error':
      res.writeHead(500).end('boom');
      return;
    case '/hang':
      return;
    case '/stream': {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      return;
    }
    case '/stall':
      res.writeHead(200);
      res.write('partial');
      return;
    case '/redirect':
      res.writeHead(302, { location: '/ok' }).end();
      return;
    case '/loop':
      res.writeHead(307, { location: '/loop' }).end();
      return;
    case '/echo':
      res.writeHead(200).end(`${req.method} ${body}`);
      return;
    default:
      res.writeHead(404).end('not found');
  }
}

function track(server: http.Server | https.Server, scheme: string): Promise<Target> {
  const requests: Target['requests'] = [];
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      routes(req, res, body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `${scheme}://127.0.0.1:${port}`,
        port,
        requests,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export function startHttpTarget(): Promise<Target> {
  return track(http.createServer(), 'http');
}

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
}

/** A throwaway self-signed certificate for localhost / check.example (openssl CLI). */
export function selfSignedCertificate(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-checks-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,DNS:check.example,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTPS target; `serverNames` collects the SNI names clients asked for. */
export async function startHttpsTarget(
  tls: TlsMaterial,
): Promise<Target & { serverNames: string[] }> {
  const serverNames: string[] = [];
  const server = https.createServer({
    key: tls.key,
    cert: tls.cert,
    SNICallback: (name, cb) => {
      serverNames.push(name);
      cb(null, undefined);
    },
  });
  const target = await track(server, 'https');
  return Object.assign(target, { serverNames });
}

/** A TCP port on 127.0.0.1 with nothing listening (bound once, then released). */
export async function closedTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A UDP port on 127.0.0.1 with nothing bound. */
export async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}
