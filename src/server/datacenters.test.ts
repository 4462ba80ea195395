import { test } from 'node:test';
import assert from 'node:assert/strict';
import { datacentersByDistance } from './datacenters';

test('datacenters are ordered by the median round trip to their servers, local first', () => {
  const order = datacentersByDistance('dc1', [
    { datacenter: 'dc1', rtt: 0.5 },
    // dc2: median of [0.010, 0.030, 0.200] is 0.030.
    { datacenter: 'dc2', rtt: 0.2 },
    { datacenter: 'dc2', rtt: 0.01 },
    { datacenter: 'dc2', rtt: 0.03 },
    // dc3: median of [0.020, 0.025] is element 1: 0.025.
    { datacenter: 'dc3', rtt: 0.02 },
    { datacenter: 'dc3', rtt: 0.025 },
    // dc0: no coordinate for its server.
    { datacenter: 'dc0', rtt: Infinity },
  ]);
  assert.deepEqual(order, ['dc1', 'dc3', 'dc2', 'dc0']);
});

test('equal distances keep name order, and the local datacenter is listed without servers', () => {
  assert.deepEqual(
    datacentersByDistance('west', [
      { datacenter: 'b', rtt: Infinity },
      { datacenter: 'a', rtt: Infinity },
    ]),
    ['west', 'a', 'b'],
  );
});
