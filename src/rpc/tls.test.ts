// RPCTLS on real listeners: calls and snapshot streams through TLS, verify_incoming refusing
// plain text and other CAs, verify_server_hostname refusing a certificate for another name.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createCa, createCert, type PemPair } from '../pki';
import {
  ConnPool,
  defineMethod,
  openSnapshotStream,
  RpcConnectionError,
  RpcServer,
  RpcTls,
  RpcType,
  serveSnapshotStreams,
  type RpcTlsSettings,
} from './index';
import { capturingLogger, closed, rawConnection, waitFor } from './test-support';

const Echo = defineMethod(
  'Test.Echo',
  (raw) => raw as string,
  (raw) => raw as string,
);

let ca: PemPair;
let otherCa: PemPair;
let server1: PemPair;
let client1: PemPair;
let dc2Server: PemPair;
let strangerServer: PemPair;

before(async () => {
  ca = await createCa(30);
  otherCa = await createCa(30);
  const cert = (issuer: PemPair, kind: 'server' | 'client', datacenter = 'dc1'): Promise<PemPair> =>
    createCert(issuer, { kind, datacenter, domain: 'consul', days: 30 });
  server1 = await cert(ca, 'server');
  client1 = await cert(ca, 'client');
  dc2Server = await cert(ca, 'server', 'dc2');
  strangerServer = await cert(otherCa, 'server');
});

const servers: RpcServer[] = [];
const pools: ConnPool[] = [];
after(async () => {
  for (const pool of pools) pool.close();
  for (const server of servers) await server.close();
});

function tlsFor(pair: PemPair, settings: Partial<RpcTlsSettings> = {}, caPem = ca.cert): RpcTls {
  return new RpcTls({
    ca: [caPem],
    cert: pair.cert,
    key: pair.key,
    verifyIncoming: true,
    verifyOutgoing: true,
    verifyServerHostname: true,
    datacenter: 'dc1',
    domain: 'consul',
    minVersion: 'TLSv1.2',
    ciphers: null,
    ...settings,
  });
}

async function startServer(tls: RpcTls): Promise<{ server: RpcServer; messages: () => string[] }> {
  const { logger, messages } = capturingLogger();
  const server = new RpcServer({ host: '127.0.0.1', port: 0, logger, tls });
  server.methods.register(Echo, (text) => `echo ${text}`);
  serveSnapshotStreams(
    server,
    async ({ header, body }) => {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      return { header, body: Readable.from([Buffer.concat(chunks)]) };
    },
    { logger },
  );
  await server.listen();
  servers.push(server);
  return { server, messages };
}

function pool(tls?: RpcTls): ConnPool {
  const created = new ConnPool({ logger: capturingLogger().logger, tls, connectTimeoutMs: 5000 });
  pools.push(created);
  return created;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('the call succeeded');
}

describe('RPC over TLS (RPCTLS)', () => {
  it('a call through TLS reaches a verify_incoming server that checks our certificate', async () => {
    const { server } = await startServer(tlsFor(server1));
    assert.equal(await pool(tlsFor(server1)).call(server.address, Echo, 'hi'), 'echo hi');
    // A client agent's certificate is signed by the same CA: the server accepts it too.
    const asClient = tlsFor(client1);
    assert.equal(await pool(asClient).call(server.address, Echo, 'c'), 'echo c');
  });

  it('with verify_incoming a plain-text call is refused and the refusal is logged', async () => {
    const { server, messages } = await startServer(tlsFor(server1));
    const error = await rejection(pool().call(server.address, Echo, 'plain'));
    assert.ok(error instanceof RpcConnectionError, String(error));
    await waitFor('the refusal in the log', () =>
      messages().find((m) => /RPCConsul .* refused: verify_incoming requires TLS/.test(m)),
    );
  });

  it('with verify_incoming a certificate from another CA is refused', async () => {
    const { server, messages } = await startServer(tlsFor(server1));
    // The stranger trusts our CA (so it would accept our server) but its own cert is foreign.
    const stranger = tlsFor(strangerServer, { verifyServerHostname: false });
    const error = await rejection(pool(stranger).call(server.address, Echo, 'x'));
    assert.ok(error instanceof RpcConnectionError, String(error));
    await waitFor('the handshake failure in the log', () =>
      messages().find((m) => /TLS connection from .* (failed|refused)/.test(m)),
    );
  });

  it('verify_server_hostname refuses a server whose certificate is for another name', async () => {
    for (const wrong of [client1, dc2Server]) {
      // The server does not check clients here: only the name check can refuse it.
      const { server } = await startServer(tlsFor(wrong, { verifyIncoming: false }));
      const error = await rejection(pool(tlsFor(server1)).call(server.address, Echo, 'x'));
      assert.ok(error instanceof RpcConnectionError, String(error));
      assert.match(error.message, /server\.dc1\.consul/);
      // Without the name check the same server is accepted: its chain is from our CA.
      const lenient = tlsFor(server1, { verifyServerHostname: false });
      assert.equal(await pool(lenient).call(server.address, Echo, 'ok'), 'echo ok');
    }
  });

  it("a call to another datacenter's server checks that datacenter's name", async () => {
    const { server } = await startServer(tlsFor(dc2Server, { verifyIncoming: false }));
    const dialer = pool(tlsFor(server1));
    assert.equal(await dialer.call(server.address, Echo, 'wan', { datacenter: 'dc2' }), 'echo wan');
    const { server: other } = await startServer(tlsFor(server1, { verifyIncoming: false }));
    const error = await rejection(dialer.call(other.address, Echo, 'x', { datacenter: 'dc2' }));
    assert.match(error.message, /server\.dc2\.consul/);
  });

  it('a reload gives new connections the new certificate', async () => {
    const serverTls = tlsFor(server1, { verifyIncoming: false });
    const { server } = await startServer(serverTls);
    assert.equal(await pool(tlsFor(server1)).call(server.address, Echo, 'a'), 'echo a');
    // Now the server presents a certificate for dc2: a fresh client refuses it by name.
    serverTls.reload({ ...dc2Server, ca: [ca.cert], minVersion: 'TLSv1.2', ciphers: null });
    const error = await rejection(pool(tlsFor(server1)).call(server.address, Echo, 'b'));
    assert.match(error.message, /server\.dc1\.consul/);
  });

  it('a server signed by another CA is refused by verify_outgoing', async () => {
    const { server } = await startServer(
      tlsFor(strangerServer, { verifyIncoming: false }, otherCa.cert),
    );
    const error = await rejection(pool(tlsFor(server1)).call(server.address, Echo, 'x'));
    assert.match(error.message, /certificate/i);
  });

  it('a snapshot stream runs through TLS, half-close included', async () => {
    const { server } = await startServer(tlsFor(server1));
    const reply = await openSnapshotStream(
      server.address,
      { op: 'restore' },
      Readable.from([Buffer.from('archive bytes')]),
      { tls: tlsFor(server1) },
    );
    assert.deepEqual(reply.header, { op: 'restore' });
    const chunks: Buffer[] = [];
    for await (const chunk of reply.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'archive bytes');
  });

  it('without a certificate the server refuses RPCTLS, as before', async () => {
    const { logger, messages } = capturingLogger();
    const server = new RpcServer({ host: '127.0.0.1', port: 0, logger });
    await server.listen();
    servers.push(server);
    const socket = await rawConnection(server.port, Buffer.of(RpcType.Tls));
    await closed(socket);
    assert.ok(messages().some((m) => /RPCTLS \(byte 3\) .* is not supported/.test(m)));
  });

  it('a dial to a closed port through TLS fails promptly with the connection error', async () => {
    const { server } = await startServer(tlsFor(server1));
    const address = server.address;
    await server.close();
    const error = await rejection(pool(tlsFor(server1)).call(address, Echo, 'x'));
    assert.ok(error instanceof RpcConnectionError, String(error));
    assert.match(error.message, /ECONNREFUSED|refused/);
  });
});
