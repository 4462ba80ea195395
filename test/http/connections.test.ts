// Connection limits of the HTTP API over real sockets: Consul's per-client-IP connection limit
// (a raw 429 and a close, loopback included) and the deadline for receiving a request, which
// never cuts a blocking query waiting for its answer.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';

import type { AgentConfig } from '../../src/config';
import { eventually, sleep, startTestAgent, type TestAgent } from './harness';

const LIMIT = 3;
const READ_TIMEOUT_MS = 1000;

function withLimits(limits: Partial<AgentConfig['limits']>) {
  return (config: AgentConfig): AgentConfig => ({
    ...config,
    limits: { ...config.limits, ...limits },
  });
}

/** A raw TCP connection that records what the server sent and when it closed. */
interface RawConnection {
  socket: Socket;
  received(): string;
  closed(): boolean;
  /** Resolves with everything received once the server closes (rejects after `ms`). */
  closedWithin(ms: number): Promise<string>;
}

async function open(t: TestAgent): Promise<RawConnection> {
  const socket = connect(t.port, t.host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  const received = (): string => Buffer.concat(chunks).toString('latin1');
  return {
    socket,
    received,
    closed: () => closed,
    async closedWithin(ms) {
      await eventually(() => closed, `the server to close the connection (got ${received()})`, ms);
      return received();
    },
  };
}

/** Sends one request on `connection` and waits for a complete answer (Content-Length bodies). */
async function exchange(connection: RawConnection, path: string): Promise<string> {
  const before = connection.received().length;
  connection.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  let answer = '';
  await eventually(() => {
    answer = connection.received().slice(before);
    const end = answer.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const length = /content-length: (\d+)/i.exec(answer.slice(0, end));
    return length !== null && answer.length >= end + 4 + Number(length[1]);
  }, `an answer to ${path}`);
  return answer;
}

/**
 * Opens `count` connections, each confirmed served; one refused because the server has not yet
 * seen an earlier connection's close is retried.
 */
async function openServed(t: TestAgent, count: number): Promise<RawConnection[]> {
  const served: RawConnection[] = [];
  const deadline = Date.now() + 5000;
  while (served.length < count) {
    const connection = await open(t);
    const answer = await exchange(connection, '/v1/status/leader');
    if (answer.startsWith('HTTP/1.1 429 ') && Date.now() < deadline) {
      await sleep(20);
      continue;
    }
    assert.match(answer, /^HTTP\/1\.1 200 /);
    served.push(connection);
  }
  return served;
}

describe('limits.http_max_conns_per_client', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent([], withLimits({ httpMaxConnsPerClient: LIMIT }));
  });
  after(async () => {
    await t.stop();
  });

  it('answers a connection over the limit with 429 and closes it, loopback included', async () => {
    const admitted = await openServed(t, LIMIT);
    try {
      const extra = await open(t);
      const answer = await extra.closedWithin(5000);
      assert.equal(
        answer,
        'HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 81\r\n' +
          'Connection: close\r\n\r\n' +
          'Your IP is issuing too many concurrent connections, please rate limit your calls\n',
      );
      for (const connection of admitted) assert.equal(connection.closed(), false);
    } finally {
      for (const connection of admitted) connection.socket.destroy();
    }
  });

  it('admits a client again once one of its connections closed', async () => {
    const admitted = await openServed(t, LIMIT);
    try {
      assert.match(await (await open(t)).closedWithin(5000), /^HTTP\/1\.1 429 /);
      admitted.shift()?.socket.destroy();
      // Served once the server has seen that close (openServed retries until then).
      admitted.push(...(await openServed(t, 1)));
    } finally {
      for (const connection of admitted) connection.socket.destroy();
    }
  });

  it('applies a reloaded limit to new connections', async () => {
    const admitted = await openServed(t, LIMIT);
    try {
      const config = t.agent.config;
      t.agent.reload({ ...config, limits: { ...config.limits, httpMaxConnsPerClient: LIMIT + 1 } });
      const extra = await open(t);
      assert.match(await exchange(extra, '/v1/status/leader'), /^HTTP\/1\.1 200 /);
      admitted.push(extra);
      const refused = await open(t);
      assert.match(await refused.closedWithin(5000), /^HTTP\/1\.1 429 /);
    } finally {
      for (const connection of admitted) connection.socket.destroy();
      const config = t.agent.config;
      t.agent.reload({ ...config, limits: { ...config.limits, httpMaxConnsPerClient: LIMIT } });
    }
  });
});

describe('consulate.http_read_timeout', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent([], withLimits({ httpReadTimeoutMs: READ_TIMEOUT_MS }));
  });
  after(async () => {
    await t.stop();
  });

  it('answers 408 and closes a connection whose body stalls, while other clients are served', async () => {
    const slow = await open(t);
    const started = Date.now();
    slow.socket.write('PUT /v1/kv/slow HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n');
    slow.socket.write('0123456789');
    // A byte now and then does not extend the deadline.
    const trickle = setInterval(() => slow.socket.write('x'), 200);
    try {
      let served = 0;
      while (!slow.closed() && Date.now() - started < 10_000) {
        const leader = await t.request('GET', '/v1/status/leader');
        assert.equal(leader.status, 200);
        served++;
        await sleep(50);
      }
      const answer = await slow.closedWithin(1);
      const elapsed = Date.now() - started;
      assert.equal(
        answer,
        'HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n' +
          'Connection: close\r\n\r\n408 Request Timeout',
      );
      assert.ok(elapsed >= READ_TIMEOUT_MS - 50, `cut after ${elapsed} ms, before the deadline`);
      assert.ok(elapsed < 5000, `cut only after ${elapsed} ms`);
      assert.ok(served > 0);
    } finally {
      clearInterval(trickle);
      slow.socket.destroy();
    }
    assert.equal((await t.request('GET', '/v1/kv/slow')).status, 404);
  });

  it('answers 408 and closes a connection whose headers trickle in past the deadline', async () => {
    const slow = await open(t);
    const started = Date.now();
    slow.socket.write('GET /v1/status/leader HTTP/1.1\r\nHost: test\r\nX-Slow: ');
    const trickle = setInterval(() => slow.socket.write('a'), 200);
    try {
      const answer = await slow.closedWithin(10_000);
      const elapsed = Date.now() - started;
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(elapsed >= READ_TIMEOUT_MS - 50, `cut after ${elapsed} ms, before the deadline`);
    } finally {
      clearInterval(trickle);
      slow.socket.destroy();
    }
  });

  it('lets a blocking query wait past the read timeout for its answer', async () => {
    const put = await t.request('PUT', '/v1/kv/blocking', { body: 'one' });
    assert.equal(put.status, 200);
    const index = (await t.request('GET', '/v1/kv/blocking')).headers['x-consul-index'];
    const started = Date.now();
    const waiting = t.request('GET', `/v1/kv/blocking?index=${String(index)}&wait=30s`);
    await sleep(READ_TIMEOUT_MS * 2.5);
    assert.equal((await t.request('PUT', '/v1/kv/blocking', { body: 'two' })).status, 200);
    const answer = await waiting;
    assert.equal(answer.status, 200, answer.text);
    assert.ok(Date.now() - started >= READ_TIMEOUT_MS * 2.5);
    const [entry] = JSON.parse(answer.text) as { Value: string }[];
    assert.equal(Buffer.from(entry.Value, 'base64').toString(), 'two');
  });
});

describe('http_config.max_header_bytes', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent([], (config) => ({
      ...config,
      httpConfig: { ...config.httpConfig, maxHeaderBytes: 1024 },
    }));
  });
  after(async () => {
    await t.stop();
  });

  it('answers 431 as Go does to request headers well over the limit', async () => {
    const connection = await open(t);
    connection.socket.write(
      `GET /v1/status/leader HTTP/1.1\r\nHost: test\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`,
    );
    assert.equal(
      await connection.closedWithin(5000),
      'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Connection: close\r\n\r\n431 Request Header Fields Too Large',
    );
  });

  it('serves headers within the limit', async () => {
    const result = await t.request('GET', '/v1/status/leader', {
      headers: { 'x-small': 'a'.repeat(512) },
    });
    assert.equal(result.status, 200);
  });
});
