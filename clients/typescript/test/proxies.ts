// Network pieces placed in front of the real agent: a TCP proxy that records what the SDK sends,
// a TLS-terminating proxy (self-signed certificate made with openssl), and a peer that accepts
// connections and never answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

export interface Proxy {
  address: string;
  /** Raw request bytes seen so far, as text. */
  received(): string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((ready) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      ready(typeof address === 'object' && address ? address.port : 0);
    }),
  );
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((done) => server.close(() => done()));
}

function pipeTo(port: number, client: Socket, record: (chunk: Buffer) => void): Socket {
  const upstream = connect(port, '127.0.0.1');
  client.on('data', (chunk: Buffer) => {
    record(chunk);
    upstream.write(chunk);
  });
  upstream.pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  return upstream;
}

/** Plain TCP proxy to `127.0.0.1:agentPort` recording request bytes. */
export async function recordingProxy(agentPort: number): Promise<Proxy> {
  let seen = '';
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    sockets.add(pipeTo(agentPort, client, (chunk) => (seen += chunk.toString('latin1'))));
  });
  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    received: () => seen,
    close: () => closeServer(server, sockets),
  };
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** A self-signed certificate for 127.0.0.1 (also usable as a client certificate). */
export function selfSignedCertificate(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-sdk-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** TLS in front of the agent; with `clientCa` it demands a client certificate signed by it. */
export async function tlsProxy(
  agentPort: number,
  material: TlsMaterial,
  clientCa?: Buffer,
): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const server = createTlsServer(
    {
      cert: material.cert,
      key: material.key,
      requestCert: clientCa !== undefined,
      rejectUnauthorized: clientCa !== undefined,
      ca: clientCa,
    },
    (client) => {
      sockets.add(client);
      sockets.add(pipeTo(agentPort, client, () => undefined));
    },
  );
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    received: () => '',
    close: () => closeServer(server, sockets),
  };
}

/** Accepts connections and never answers (to exercise timeouts). */
export async function silentPeer(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    received: () => '',
    close: () => closeServer(server, sockets),
  };
}
