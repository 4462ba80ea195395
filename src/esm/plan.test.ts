import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CatalogCheck, CatalogNode } from './catalog';
import { planJobs } from './plan';
import { stagger } from './scheduler';

const probe = { intervalMs: 10_000, timeoutMs: 2000, pingType: 'tcp' as const, port: 7 };

function check(id: string, definition: CatalogCheck['Definition']): CatalogCheck {
  return {
    Node: 'db',
    CheckID: id,
    Name: id,
    Status: 'critical',
    Output: '',
    ServiceID: '',
    Definition: definition,
    ModifyIndex: 5,
  };
}

describe('planJobs', () => {
  it('plans one repeatable job per interval check and per node that asks to be probed', () => {
    const nodes: CatalogNode[] = [
      {
        Node: 'db',
        Address: '10.0.0.5',
        Meta: { 'external-node': 'true', 'external-probe': 'true' },
      },
      { Node: 'saas', Address: 'api.example.com', Meta: { 'external-node': 'true' } },
    ];
    const checks = [
      check('http', { HTTP: 'http://10.0.0.5/health', Interval: '15s', Timeout: '2s' }),
      check('tcp', { TCP: '10.0.0.5:5432', Interval: '500ms' }),
      check('grpc', { GRPC: '10.0.0.5:9000', GRPCUseTLS: true, Interval: '10s' }),
      check('ttl-like', { Interval: '' }),
      check('externalNodeHealth', { TCP: 'x:1', Interval: '10s' }),
    ];
    const plan = planJobs(nodes, checks, probe);
    assert.deepEqual([...plan.keys()].sort(), [
      'check/db/grpc',
      'check/db/http',
      'check/db/tcp',
      'node/db',
    ]);
    const http = plan.get('check/db/http');
    assert.equal(http?.everyMs, 15_000);
    assert.deepEqual(http?.job, {
      kind: 'check',
      node: 'db',
      checkId: 'http',
      definition: {
        id: 'http',
        name: 'http',
        interval: 15_000,
        timeout: 2000,
        http: 'http://10.0.0.5/health',
        method: undefined,
        header: undefined,
        body: undefined,
        tlsServerName: undefined,
        tlsSkipVerify: false,
      },
    });
    assert.equal(plan.get('check/db/tcp')?.everyMs, 1000, 'intervals under 1 s are raised');
    assert.deepEqual(plan.get('node/db')?.job, {
      kind: 'node',
      node: 'db',
      address: '10.0.0.5',
      pingType: 'tcp',
      port: 7,
      timeoutMs: 2000,
    });
  });

  it('staggers each job at a stable slot inside its interval', () => {
    const slots = new Set<number>();
    for (let i = 0; i < 100; i += 1) {
      const slot = stagger(`check/n/c${i}`, 10_000);
      assert.ok(slot >= 0 && slot < 10_000);
      assert.equal(stagger(`check/n/c${i}`, 10_000), slot);
      slots.add(Math.floor(slot / 1000));
    }
    assert.ok(slots.size >= 8, `100 jobs fall in ${slots.size} of 10 seconds`);
  });
});
