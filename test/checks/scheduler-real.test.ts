import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CheckScheduler,
  validateCheckDefinition,
  type CheckDefinition,
} from '../../src/agent/checks';
import { closedTcpPort } from './targets';

function validated(def: CheckDefinition): CheckDefinition {
  const result = validateCheckDefinition(def, {
    source: 'config',
    scriptChecksAllowed: () => true,
  });
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.check;
}

test('the scheduler drives real runners and reports their transitions', async () => {
  let healthy = true;
  const server = http.createServer((_req, res) => {
    res.writeHead(healthy ? 200 : 503).end(healthy ? 'up' : 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const closed = await closedTcpPort();
  const scheduler = new CheckScheduler();
  const events: string[] = [];
  scheduler.onResult((id, status) => events.push(`${id}=${status}`));
  try {
    scheduler.add(validated({ id: 'web', name: 'web', http: url, interval: 200 }));
    scheduler.add(validated({ id: 'db', name: 'db', tcp: `127.0.0.1:${closed}`, interval: 1000 }));
    scheduler.add(
      validated({ id: 'job', name: 'job', args: ['/bin/sh', '-c', 'exit 1'], interval: 1000 }),
    );
    scheduler.add(validated({ id: 'app', name: 'app', ttl: 60_000, status: 'passing' }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(scheduler.get('web')?.status, 'passing');
    assert.equal(scheduler.get('web')?.output, `HTTP GET ${url}: 200 OK Output: up`);
    assert.equal(scheduler.get('db')?.status, 'critical');
    assert.match(scheduler.get('db')?.output ?? '', /connection refused/);
    assert.equal(scheduler.get('job')?.status, 'warning');
    assert.equal(scheduler.get('app')?.status, 'passing');
    healthy = false;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(scheduler.get('web')?.status, 'critical');
    assert.ok(scheduler.criticalSince('web') !== undefined);
    assert.deepEqual(
      events.filter((e) => e.startsWith('web=')),
      ['web=passing', 'web=critical'],
      'one event per change, none for repeated identical results',
    );
    assert.equal(scheduler.stats().overlapsSkipped, 0);
  } finally {
    await scheduler.stop();
    await new Promise((resolve) => server.close(resolve));
  }
});
