import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { runGrpcCheck } from '../../src/agent/checks';
import { closedTcpPort, selfSignedCertificate } from './targets';

// The health service registered by hand on @grpc/grpc-js, its two messages encoded here
// independently of the product's encoder: request field 1 (string), response field 1 (enum).
const SERVING = 1;
const NOT_SERVING = 2;

interface HealthCheckRequest {
  service: string;
}

function decodeRequest(bytes: Buffer): HealthCheckRequest {
  if (bytes.length === 0) return { service: '' };
  assert.equal(bytes[0], 0x0a);
  assert.ok(bytes[1] < 0x80, 'test service names are short');
  return { service: bytes.subarray(2, 2 + bytes[1]).toString('utf8') };
}

const healthDefinition: grpc.ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: HealthCheckRequest) => Buffer.from(value.service),
    requestDeserialize: decodeRequest,
    responseSerialize: (status: number) => Buffer.from([0x08, status]),
    responseDeserialize: (bytes: Buffer) => bytes[1] ?? 0,
  },
};

async function startHealthServer(
  statuses: Map<string, number>,
  credentials: grpc.ServerCredentials,
): Promise<{ server: grpc.Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = new grpc.Server();
  server.addService(healthDefinition, {
    Check: (
      call: grpc.ServerUnaryCall<HealthCheckRequest, number>,
      callback: grpc.sendUnaryData<number>,
    ) => {
      seen.push(call.request.service);
      const status = statuses.get(call.request.service);
      if (status === undefined)
        callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' }, null);
      else callback(null, status);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { server, port, seen };
}

const statuses = new Map([
  ['', SERVING],
  ['web', SERVING],
  ['db', NOT_SERVING],
]);

describe('gRPC check against a grpc-js health server', () => {
  let target: Awaited<ReturnType<typeof startHealthServer>>;
  before(async () => {
    target = await startHealthServer(statuses, grpc.ServerCredentials.createInsecure());
  });
  after(() => target.server.forceShutdown());

  test('the server as a whole SERVING is passing', async () => {
    const result = await runGrpcCheck({ target: `127.0.0.1:${target.port}` });
    assert.deepEqual(result, {
      status: 'passing',
      output: `gRPC check 127.0.0.1:${target.port}: success`,
    });
    assert.equal(target.seen.at(-1), '');
  });

  test('host:port/service asks about that service', async () => {
    const result = await runGrpcCheck({ target: `127.0.0.1:${target.port}/web` });
    assert.equal(result.status, 'passing');
    assert.equal(target.seen.at(-1), 'web');
  });

  test('NOT_SERVING is critical', async () => {
    const result = await runGrpcCheck({ target: `127.0.0.1:${target.port}/db` });
    assert.deepEqual(result, {
      status: 'critical',
      output: `gRPC 127.0.0.1:${target.port}/db serving status: NOT_SERVING`,
    });
  });

  test('an unknown service is critical with the RPC error', async () => {
    const result = await runGrpcCheck({ target: `127.0.0.1:${target.port}/nope` });
    assert.deepEqual(result, {
      status: 'critical',
      output: 'rpc error: code = NotFound desc = unknown service',
    });
  });
});

test('a closed port is critical, Unavailable', async () => {
  const port = await closedTcpPort();
  const result = await runGrpcCheck({ target: `127.0.0.1:${port}` });
  assert.equal(result.status, 'critical');
  assert.match(result.output, /^rpc error: code = Unavailable desc = .*connection refused/);
});

describe('gRPC check over TLS', () => {
  let target: Awaited<ReturnType<typeof startHealthServer>>;
  before(async () => {
    const tls = selfSignedCertificate();
    target = await startHealthServer(
      statuses,
      grpc.ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }]),
    );
  });
  after(() => target.server.forceShutdown());

  test('grpcUseTls with tlsSkipVerify reaches the TLS server', async () => {
    const result = await runGrpcCheck({
      target: `127.0.0.1:${target.port}/web`,
      useTls: true,
      tlsSkipVerify: true,
    });
    assert.equal(result.status, 'passing');
  });

  test('without skip-verify the self-signed certificate is refused', async () => {
    const result = await runGrpcCheck({
      target: `localhost:${target.port}/web`,
      useTls: true,
    });
    assert.equal(result.status, 'critical');
    assert.match(result.output, /self[- ]signed certificate/);
  });

  test('plain text against the TLS port is critical', async () => {
    const result = await runGrpcCheck({ target: `127.0.0.1:${target.port}`, timeoutMs: 1000 });
    assert.equal(result.status, 'critical');
  });
});
