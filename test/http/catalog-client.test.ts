// The npm `consul` client (v2), unchanged, against the catalog and health API: registration,
// every listing it offers, its health filters, and a watch on a service's health.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Consul from 'consul';

import { waitForSelfRegistration } from './catalog-helpers';
import { startTestAgent, type TestAgent } from './harness';

// The agent's own node sorts last; it registers itself with service `consul`.
const AGENT = 'zeta';

let t: TestAgent;
let consul: Consul;
before(async () => {
  t = await startTestAgent(['-node', AGENT]);
  await waitForSelfRegistration(t);
  consul = new Consul({ host: t.host, port: t.port });
});
after(async () => {
  await t.stop();
});

interface ServiceNode {
  Node: string;
  Address: string;
  ServiceID: string;
  ServiceTags: string[];
  ServicePort: number;
}
interface HealthCheck {
  Node: string;
  CheckID: string;
  Status: string;
  ServiceID: string;
}
interface CheckServiceNode {
  Node: { Node: string };
  Service: { ID: string; Port: number };
  Checks: HealthCheck[];
}

describe('npm consul client: catalog and health', () => {
  before(async () => {
    await consul.catalog.register({
      node: 'client-1',
      address: '10.2.0.1',
      service: { id: 'api-1', service: 'api', tags: ['v1'], port: 8080 },
      check: { checkid: 'api-ok', name: 'api ok', serviceid: 'api-1', status: 'passing' },
    });
    await consul.catalog.register({
      node: 'client-2',
      address: '10.2.0.2',
      nodemeta: { zone: 'b' },
      service: { id: 'api-2', service: 'api', tags: ['v2'], port: 8080 },
      checks: [
        { checkid: 'api-slow', name: 'api slow', serviceid: 'api-2', status: 'warning' },
        {
          checkid: 'http',
          name: 'http',
          serviceid: 'api-2',
          status: 'passing',
          definition: { http: 'http://10.2.0.2:8080/health', intervalduration: '10s' },
        },
      ],
    });
  });

  it('lists services, their nodes (with ?tag) and the nodes', async () => {
    assert.deepEqual(await consul.catalog.service.list(), { api: ['v1', 'v2'], consul: [] });
    const nodes = (await consul.catalog.service.nodes('api')) as unknown as ServiceNode[];
    assert.deepEqual(
      nodes.map((n) => [n.Node, n.ServiceID, n.ServicePort]),
      [
        ['client-1', 'api-1', 8080],
        ['client-2', 'api-2', 8080],
      ],
    );
    const tagged = (await consul.catalog.service.nodes({
      service: 'api',
      tag: 'v2',
    })) as unknown as ServiceNode[];
    assert.deepEqual(
      tagged.map((n) => n.Node),
      ['client-2'],
    );
    const all = (await consul.catalog.node.list()) as unknown as { Node: string }[];
    assert.deepEqual(
      all.map((n) => n.Node),
      ['client-1', 'client-2', AGENT],
    );
    const byMeta = (await consul.catalog.node.list({
      'node-meta': ['zone:b'],
    } as never)) as unknown as { Node: string }[];
    assert.deepEqual(
      byMeta.map((n) => n.Node),
      ['client-2'],
    );
    const services = (await consul.catalog.node.services('client-1')) as unknown as {
      Node: { Address: string };
      Services: Record<string, { Service: string; Tags: string[] }>;
    };
    assert.equal(services.Node.Address, '10.2.0.1');
    assert.deepEqual(Object.keys(services.Services), ['api-1']);
    assert.deepEqual(services.Services['api-1'].Tags, ['v1']);
  });

  it('reads health by service (with passing), by service checks, by node and by state', async () => {
    const healthy = (await consul.health.service({
      service: 'api',
      passing: true,
    })) as unknown as CheckServiceNode[];
    assert.deepEqual(
      healthy.map((entry) => entry.Node.Node),
      ['client-1'],
    );
    const every = (await consul.health.service('api')) as unknown as CheckServiceNode[];
    assert.equal(every.length, 2);
    assert.deepEqual(
      every[1].Checks.map((check) => check.CheckID),
      ['api-slow', 'http'],
    );
    const checks = (await consul.health.checks('api')) as unknown as HealthCheck[];
    assert.deepEqual(
      checks.map((check) => check.CheckID),
      ['api-ok', 'api-slow', 'http'],
    );
    const node = (await consul.health.node('client-2')) as unknown as HealthCheck[];
    assert.deepEqual(
      node.map((check) => check.CheckID),
      ['api-slow', 'http'],
    );
    const warning = (await consul.health.state('warning')) as unknown as HealthCheck[];
    assert.deepEqual(
      warning.map((check) => `${check.Node}/${check.CheckID}`),
      ['client-2/api-slow'],
    );
    const any = (await consul.health.state('any')) as unknown as HealthCheck[];
    assert.deepEqual(
      any.map((check) => check.CheckID),
      ['api-ok', 'api-slow', 'http', 'serfHealth'],
    );
  });

  it('watches a service’s health through blocking queries', async () => {
    const watch = consul.watch({
      method: consul.health.service,
      options: { service: 'api', passing: true, wait: '5s' } as never,
    });
    const seen: string[][] = [];
    const errors: unknown[] = [];
    watch.on('error', (error: unknown) => errors.push(error));
    try {
      await new Promise<void>((resolve) => {
        watch.on('change', (data: CheckServiceNode[]) => {
          seen.push(data.map((entry) => entry.Node.Node));
          if (seen.length === 1) {
            void consul.catalog.register({
              node: 'client-2',
              address: '10.2.0.2',
              nodemeta: { zone: 'b' },
              check: {
                checkid: 'api-slow',
                name: 'api slow',
                serviceid: 'api-2',
                status: 'passing',
              },
            });
          }
          if (seen.length === 2) resolve();
        });
      });
    } finally {
      watch.end();
    }
    assert.deepEqual(seen, [['client-1'], ['client-1', 'client-2']]);
    assert.deepEqual(errors, []);
  });

  it('deregisters a check, a service and a node', async () => {
    await consul.catalog.deregister({ node: 'client-2', checkid: 'http' });
    const node = (await consul.health.node('client-2')) as unknown as HealthCheck[];
    assert.deepEqual(
      node.map((check) => check.CheckID),
      ['api-slow'],
    );
    await consul.catalog.deregister({ node: 'client-2', serviceid: 'api-2' });
    assert.deepEqual(await consul.catalog.service.list(), { api: ['v1'], consul: [] });
    await consul.catalog.deregister('client-1');
    assert.deepEqual(await consul.catalog.service.list(), { consul: [] });
    const rest = (await consul.catalog.node.list()) as unknown as { Node: string }[];
    assert.deepEqual(
      rest.map((n) => n.Node),
      ['client-2', AGENT],
    );
  });

  it('surfaces a refused registration as an error with Consul’s status', async () => {
    await assert.rejects(
      consul.catalog.register({
        node: 'client-3',
        address: '10.2.0.3',
        check: { name: 'orphan', serviceid: 'nope' },
      }),
      (error: Error & { statusCode?: number }) => {
        assert.equal(error.statusCode, 500);
        return true;
      },
    );
  });
});
