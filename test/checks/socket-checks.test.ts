import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { runTcpCheck, runUdpCheck } from '../../src/agent/checks';
import { closedTcpPort, closedUdpPort } from './targets';

describe('TCP check', () => {
  let server: net.Server;
  let port: number;
  let accepted = 0;
  before(async () => {
    server = net.createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a listening port is passing', async () => {
    const result = await runTcpCheck({ address: `127.0.0.1:${port}` });
    assert.deepEqual(result, {
      status: 'passing',
      output: `TCP connect 127.0.0.1:${port}: Success`,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(accepted >= 1);
  });

  test('a closed port is critical with the dial error', async () => {
    const closed = await closedTcpPort();
    const result = await runTcpCheck({ address: `127.0.0.1:${closed}` });
    assert.deepEqual(result, {
      status: 'critical',
      output: `dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });

  test('an address without a port is critical', async () => {
    const result = await runTcpCheck({ address: 'localhost' });
    assert.deepEqual(result, {
      status: 'critical',
      output: 'dial tcp: address localhost: missing port in address',
    });
  });
});

describe('UDP check', () => {
  let echo: dgram.Socket;
  let silent: dgram.Socket;
  let echoPort: number;
  let silentPort: number;
  let received = 0;
  before(async () => {
    echo = dgram.createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    silent = dgram.createSocket('udp4');
    silent.on('message', () => received++);
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    echoPort = echo.address().port;
    silentPort = silent.address().port;
  });
  after(() => {
    echo.close();
    silent.close();
  });

  test('a reply is passing, well before the timeout', async () => {
    const started = performance.now();
    const result = await runUdpCheck({ address: `127.0.0.1:${echoPort}`, timeoutMs: 5000 });
    assert.deepEqual(result, {
      status: 'passing',
      output: `UDP connect 127.0.0.1:${echoPort}: Success`,
    });
    assert.ok(performance.now() - started < 2000);
  });

  test('silence until the timeout is passing', async () => {
    const started = performance.now();
    const result = await runUdpCheck({ address: `127.0.0.1:${silentPort}`, timeoutMs: 300 });
    assert.equal(result.status, 'passing');
    assert.ok(performance.now() - started >= 290);
    // On a starved event loop the check's timer can fire before the listener's read is served.
    const deadline = Date.now() + 2000;
    while (received === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(received, 1, 'the datagram reached the listener');
  });

  test('a closed port (ICMP port unreachable) is critical', async () => {
    const closed = await closedUdpPort();
    const result = await runUdpCheck({ address: `127.0.0.1:${closed}`, timeoutMs: 2000 });
    assert.equal(result.status, 'critical');
    assert.match(
      result.output,
      new RegExp(
        `^read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${closed}: read: connection refused$`,
      ),
    );
  });
});
