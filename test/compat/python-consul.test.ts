// The Debian Python clients, unchanged, against a dev agent: python-consul 0.7 (python3-consul)
// and python-consul2 0.1 (python3-consul2). Every client method that maps to an endpoint this
// agent serves is driven here; each answer must be the one current Consul gives (status, body
// shape, X-Consul-Index on every blocking read). Where the old client sends GET to a PUT-only
// endpoint, Consul answers 405 and the client reports False — so must we.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { waitForSelfRegistration } from '../http/catalog-helpers';
import { coordinateAt, placeNodes } from '../http/coordinate-helpers';
import { startTestAgent, type TestAgent } from '../http/harness';
import { runPython, type PythonClient } from './python-client';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
  await waitForSelfRegistration(t);
});
after(async () => {
  await t.stop();
});

const py = (client: PythonClient, body: string): Promise<unknown> =>
  runPython(client, { host: t.host, port: t.port }, body);

/** An X-Consul-Index as the Python clients return it: the header text. */
function assertIndex(index: unknown): number {
  assert.equal(typeof index, 'string');
  assert.match(index as string, /^[1-9][0-9]*$/);
  return Number(index);
}

interface Row {
  [field: string]: unknown;
}

describe('python-consul (python3-consul)', () => {
  const client: PythonClient = 'python-consul';

  it('is the Debian python3-consul 0.7 module', async () => {
    assert.deepEqual(await py(client, `out([consul.__version__, consul.__file__])`), [
      '0.7.1',
      '/usr/lib/python3/dist-packages/consul/__init__.py',
    ]);
  });

  it('puts, gets, lists, recurses and deletes keys, with the index of every read', async () => {
    const result = (await py(
      client,
      `
      assert c.kv.put('py/a', 'alpha') is True
      assert c.kv.put('py/b/c', 'beta', flags=42) is True
      index, item = c.kv.get('py/a')
      missing = c.kv.get('py/missing')
      _, tree = c.kv.get('py/', recurse=True)
      _, keys = c.kv.get('py/', keys=True, separator='/')
      stale = c.kv.get('py/a', consistency='stale')
      assert c.kv.put('py/a', 'x', cas=1) is False
      assert c.kv.delete('py/', recurse=True) is True
      out({'index': index, 'item': item, 'missing': missing, 'stale': stale[1]['Value'],
           'tree': [[i['Key'], i['Value'], i['Flags']] for i in tree], 'keys': keys,
           'gone': c.kv.get('py/', recurse=True)})
      `,
    )) as Record<string, unknown>;
    assertIndex(result.index);
    const item = result.item as Row;
    assert.equal(item.Key, 'py/a');
    assert.equal(item.Value, 'alpha');
    const [missingIndex, missingValue] = result.missing as [unknown, unknown];
    assertIndex(missingIndex);
    assert.equal(missingValue, null);
    assert.equal(result.stale, 'alpha');
    assert.deepEqual(result.tree, [
      ['py/a', 'alpha', 0],
      ['py/b/c', 'beta', 42],
    ]);
    assert.deepEqual(result.keys, ['py/a', 'py/b/']);
    const [goneIndex, gone] = result.gone as [unknown, unknown];
    assertIndex(goneIndex);
    assert.equal(gone, null);
  });

  it('blocks a key read on ?index until the wait runs out', async () => {
    const result = (await py(
      client,
      `
      c.kv.put('py/block', 'v')
      index, _ = c.kv.get('py/block')
      started = time.time()
      again, _ = c.kv.get('py/block', index=index, wait='300ms')
      out({'index': index, 'again': again, 'seconds': time.time() - started})
      `,
    )) as { index: string; again: string; seconds: number };
    assert.equal(result.again, result.index);
    assert.ok(result.seconds >= 0.29, `returned after ${result.seconds}s`);
  });

  it('registers a service with a TTL check and lists it with its check', async () => {
    const result = (await py(
      client,
      `
      ok = c.agent.service.register('py-web', service_id='py-web-1', port=8080, tags=['v1'],
                                    check=consul.Check.ttl('30s'))
      out({'ok': ok, 'services': c.agent.services(), 'checks': c.agent.checks()})
      `,
    )) as { ok: boolean; services: Record<string, Row>; checks: Record<string, Row> };
    assert.equal(result.ok, true);
    const service = result.services['py-web-1'];
    assert.deepEqual(
      [service.ID, service.Service, service.Port, service.Tags, service.Datacenter],
      ['py-web-1', 'py-web', 8080, ['v1'], 'dc1'],
    );
    const check = result.checks['service:py-web-1'];
    assert.deepEqual(
      [check.Status, check.Type, check.ServiceID, check.ServiceName],
      ['critical', 'ttl', 'py-web-1', 'py-web'],
    );
  });

  it('gets False, as from Consul (405), for the TTL and deregister calls it sends as GET', async () => {
    const result = (await py(
      client,
      `
      c.agent.service.register('py-get', service_id='py-get-1', check=consul.Check.ttl('30s'))
      c.agent.check.register('py-ttl', check=consul.Check.ttl('30s'))
      out({'pass': c.agent.check.ttl_pass('py-ttl', 'fine'),
           'warn': c.agent.check.ttl_warn('py-ttl'),
           'fail': c.agent.check.ttl_fail('py-ttl'),
           'check_deregister': c.agent.check.deregister('py-ttl'),
           'service_deregister': c.agent.service.deregister('py-get-1'),
           'checks': sorted(c.agent.checks()), 'services': sorted(c.agent.services()),
           'status': c.agent.checks()['py-ttl']['Status']})
      `,
    )) as Record<string, unknown>;
    for (const call of ['pass', 'warn', 'fail', 'check_deregister', 'service_deregister']) {
      assert.equal(result[call], false, call);
    }
    assert.ok((result.checks as string[]).includes('py-ttl'));
    assert.ok((result.services as string[]).includes('py-get-1'));
    assert.equal(result.status, 'critical');
    const raw = await t.request('GET', '/v1/agent/check/pass/py-ttl');
    assert.equal(raw.status, 405);
    assert.equal(raw.headers.allow, 'OPTIONS,PUT');
  });

  it('puts a service and the node into maintenance and back', async () => {
    const result = (await py(
      client,
      `
      c.agent.service.register('py-maint', service_id='py-maint-1')
      on = [c.agent.service.maintenance('py-maint-1', True, 'deploy'),
            c.agent.maintenance(True, 'kernel')]
      during = c.agent.checks()
      off = [c.agent.service.maintenance('py-maint-1', False), c.agent.maintenance(False)]
      out({'on': on, 'off': off, 'during': during, 'after': sorted(c.agent.checks())})
      `,
    )) as { on: boolean[]; off: boolean[]; during: Record<string, Row>; after: string[] };
    assert.deepEqual(result.on, [true, true]);
    assert.deepEqual(result.off, [true, true]);
    assert.equal(result.during['_service_maintenance:py-maint-1'].Notes, 'deploy');
    assert.equal(result.during._node_maintenance.Notes, 'kernel');
    assert.ok(!result.after.some((id) => id.includes('maintenance')));
  });

  it('reads the servers’ WAN coordinates and the nodes’ LAN coordinates with their index', async () => {
    await placeNodes(t, { [t.agent.config.nodeName]: 0 });
    const result = (await py(
      client,
      `
      index, nodes = c.coordinate.nodes()
      out({'dcs': c.coordinate.datacenters(), 'index': index, 'nodes': nodes})
      `,
    )) as { dcs: Row[]; index: unknown; nodes: Row[] };
    const node = t.agent.config.nodeName;
    assert.deepEqual(
      result.dcs.map((dc) => [dc.Datacenter, dc.AreaID, (dc.Coordinates as Row[])[0].Node]),
      [['dc1', 'wan', node]],
    );
    assertIndex(result.index);
    // The agent's own sync may have replaced ours by now: same place, its own Error.
    assert.deepEqual(
      result.nodes.map((n) => [n.Node, n.Segment, (n.Coord as Row).Vec]),
      [[node, '', coordinateAt(0).Vec]],
    );
  });

  it('reads the agent itself, its members, the leader and the peers', async () => {
    const result = (await py(
      client,
      `
      me = c.agent.self()
      out({'config': me['Config']['NodeName'], 'member': me['Member']['Name'],
           'members': [m['Name'] for m in c.agent.members()],
           'leader': c.status.leader(), 'peers': c.status.peers()})
      `,
    )) as Record<string, unknown>;
    const node = t.agent.config.nodeName;
    assert.equal(result.config, node);
    assert.equal(result.member, node);
    assert.deepEqual(result.members, [node]);
    assert.match(result.leader as string, /^[\d.]+:\d+$/);
    assert.deepEqual(result.peers, [result.leader]);
  });

  it('registers in the catalog and reads every catalog listing with its index', async () => {
    const result = (await py(
      client,
      `
      ok = c.catalog.register('py-node', '10.7.0.1', service={'Service': 'py-ext', 'ID': 'py-ext-1',
          'Port': 9000, 'Tags': ['edge']}, check={'Name': 'ext ok', 'CheckID': 'py-ext-ok',
          'ServiceID': 'py-ext-1', 'Status': 'passing'}, token='anything')
      out({'ok': ok, 'dcs': c.catalog.datacenters(), 'nodes': c.catalog.nodes(),
           'services': c.catalog.services(), 'node': c.catalog.node('py-node'),
           'missing': c.catalog.node('no-such-node'),
           'service': c.catalog.service('py-ext', tag='edge'),
           'stale': c.catalog.nodes(consistency='stale')[0]})
      `,
    )) as Record<string, [unknown, unknown]> & { ok: boolean; dcs: string[]; stale: unknown };
    assert.equal(result.ok, true);
    assert.deepEqual(result.dcs, ['dc1']);
    for (const name of ['nodes', 'services', 'node', 'missing', 'service']) {
      assertIndex(result[name][0]);
    }
    assertIndex(result.stale);
    const nodes = result.nodes[1] as Row[];
    assert.ok(nodes.some((n) => n.Node === 'py-node' && n.Address === '10.7.0.1'));
    assert.deepEqual((result.services[1] as Record<string, string[]>)['py-ext'], ['edge']);
    const node = result.node[1] as { Node: Row; Services: Record<string, Row> };
    assert.equal(node.Node.Address, '10.7.0.1');
    assert.equal(node.Services['py-ext-1'].Port, 9000);
    assert.equal(result.missing[1], null);
    const [instance] = result.service[1] as Row[];
    assert.deepEqual(
      [instance.Node, instance.ServiceID, instance.ServicePort, instance.ServiceTags],
      ['py-node', 'py-ext-1', 9000, ['edge']],
    );
  });

  it('reads every health listing with its index and deregisters from the catalog', async () => {
    const result = (await py(
      client,
      `
      c.catalog.register('py-hnode', '10.7.0.2', service={'Service': 'py-h', 'ID': 'py-h-1'},
          check={'Name': 'h', 'CheckID': 'py-h-ok', 'ServiceID': 'py-h-1', 'Status': 'warning'})
      res = {'service': c.health.service('py-h'), 'passing': c.health.service('py-h', passing=True),
             'checks': c.health.checks('py-h'), 'state': c.health.state('warning'),
             'node': c.health.node('py-hnode')}
      res['deregister'] = [c.catalog.deregister('py-hnode', check_id='py-h-ok'),
                           c.catalog.deregister('py-hnode', service_id='py-h-1'),
                           c.catalog.deregister('py-hnode')]
      res['after'] = c.catalog.node('py-hnode')[1]
      out(res)
      `,
    )) as Record<string, [unknown, unknown]> & { deregister: boolean[]; after: unknown };
    for (const name of ['service', 'passing', 'checks', 'state', 'node']) {
      assertIndex(result[name][0]);
    }
    const [entry] = result.service[1] as { Service: Row; Checks: Row[] }[];
    assert.equal(entry.Service.ID, 'py-h-1');
    assert.deepEqual(result.passing[1], []);
    assert.deepEqual(
      (result.checks[1] as Row[]).map((c) => [c.CheckID, c.Status]),
      [['py-h-ok', 'warning']],
    );
    assert.ok((result.state[1] as Row[]).some((c) => c.CheckID === 'py-h-ok'));
    assert.deepEqual(
      (result.node[1] as Row[]).map((c) => c.CheckID),
      ['py-h-ok'],
    );
    assert.deepEqual(result.deregister, [true, true, true]);
    assert.equal(result.after, null);
  });
});

describe('python-consul2 (python3-consul2)', () => {
  const client: PythonClient = 'python-consul2';

  it('is the Debian python3-consul2 0.1 module', async () => {
    const [version, file] = (await py(client, `out([consul.__version__, consul.__file__])`)) as [
      string,
      string,
    ];
    assert.equal(version, '0.1.5');
    assert.match(file, /python3-consul2\/usr\/lib\/python3\/dist-packages\/consul\/__init__\.py$/);
  });

  it('runs KV reads in every consistency mode and check-and-set writes', async () => {
    const result = (await py(
      client,
      `
      c.kv.put('py2/k', 'one', flags=7)
      idx, item = c.kv.get('py2/k')
      modes = [c.kv.get('py2/k', consistency=m)[1]['Value'] for m in ('default', 'consistent', 'stale')]
      stale_cas = c.kv.put('py2/k', 'two', cas=item['ModifyIndex'] + 100)
      good_cas = c.kv.put('py2/k', 'two', cas=item['ModifyIndex'])
      out({'index': idx, 'flags': item['Flags'], 'modes': modes, 'cas': [stale_cas, good_cas],
           'now': c.kv.get('py2/k')[1]['Value'], 'delete': c.kv.delete('py2/k', cas=0)})
      `,
    )) as Record<string, unknown>;
    assertIndex(result.index);
    assert.equal(result.flags, 7);
    assert.deepEqual(result.modes, ['one', 'one', 'one']);
    assert.deepEqual(result.cas, [false, true]);
    assert.equal(result.now, 'two');
    // cas=0 on delete means "only if absent": the key exists, so Consul answers false.
    assert.equal(result.delete, false);
  });

  it('runs a transaction and gets Results with base64 values', async () => {
    const result = (await py(
      client,
      `
      import base64
      v = base64.b64encode(b'tx-value').decode()
      out(c.txn.put([{'KV': {'Verb': 'set', 'Key': 'py2/tx', 'Value': v}},
                     {'KV': {'Verb': 'get', 'Key': 'py2/tx'}}]))
      `,
    )) as { Results: { KV: Row }[]; Errors: unknown };
    assert.equal(result.Errors, null);
    assert.equal(result.Results[0].KV.Value, null);
    assert.equal(
      Buffer.from(result.Results[1].KV.Value as string, 'base64').toString(),
      'tx-value',
    );
  });

  it('registers services with HTTP, TCP and gRPC checks, meta and tag override', async () => {
    const result = (await py(
      client,
      `
      oks = [
        c.agent.service.register('py2-api', service_id='py2-api-1', port=81, meta={'team': 'a'},
            enable_tag_override=True, check=consul.Check.http('http://127.0.0.1:1/', '10s',
            timeout='1s', deregister='10m', header={'X-Probe': ['1']}, tls_skip_verify=True)),
        c.agent.service.register('py2-db', port=82, check=consul.Check.tcp('127.0.0.1', 1, '10s')),
        c.agent.service.register('py2-g', port=83, check=consul.Check.grpc('127.0.0.1:1', '10s')),
        c.agent.service.register('py2-legacy', ttl='10s'),
      ]
      out({'oks': oks, 'services': c.agent.services(), 'checks': c.agent.checks()})
      `,
    )) as { oks: boolean[]; services: Record<string, Row>; checks: Record<string, Row> };
    assert.deepEqual(result.oks, [true, true, true, true]);
    const api = result.services['py2-api-1'];
    assert.deepEqual(api.Meta, { team: 'a' });
    assert.equal(api.EnableTagOverride, true);
    assert.deepEqual(
      ['service:py2-api-1', 'service:py2-db', 'service:py2-g', 'service:py2-legacy'].map(
        (id) => result.checks[id]?.Type,
      ),
      ['http', 'tcp', 'grpc', 'ttl'],
    );
    assert.deepEqual(result.checks['service:py2-api-1'].Definition, {
      HTTP: 'http://127.0.0.1:1/',
      Header: { 'X-Probe': ['1'] },
      TLSSkipVerify: true,
      Interval: '10s',
      Timeout: '1s',
      DeregisterCriticalServiceAfter: '10m0s',
    });
  });

  it('refuses a remote script check with Consul 500 text when script checks are off', async () => {
    const result = await py(
      client,
      `out(failure(lambda: c.agent.service.register('py2-s', check=consul.Check.script(['true'], '10s'))))`,
    );
    assert.deepEqual(result, {
      error: 'ConsulException',
      message:
        "500 Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
    });
  });

  it('reports TTL status with PUT and gets Consul errors for unknown or non-TTL checks', async () => {
    const result = (await py(
      client,
      `
      c.agent.check.register('py2-ttl', check=consul.Check.ttl('30s'), notes='n')
      c.agent.check.register('py2-http', check=consul.Check.http('http://127.0.0.1:1/', '10s'))
      states = []
      for report in (c.agent.check.ttl_pass, c.agent.check.ttl_warn, c.agent.check.ttl_fail):
          assert report('py2-ttl', 'note-' + report.__name__) is True
          check = c.agent.checks()['py2-ttl']
          states.append([check['Status'], check['Output']])
      out({'states': states, 'notes': c.agent.checks()['py2-ttl']['Notes'],
           'unknown': failure(lambda: c.agent.check.ttl_pass('py2-none')),
           'http': failure(lambda: c.agent.check.ttl_pass('py2-http')),
           'deregister': [c.agent.check.deregister('py2-ttl'), c.agent.check.deregister('py2-ttl')]})
      `,
    )) as Record<string, unknown>;
    assert.deepEqual(result.states, [
      ['passing', 'note-ttl_pass'],
      ['warning', 'note-ttl_warn'],
      ['critical', 'note-ttl_fail'],
    ]);
    assert.equal(result.notes, 'n');
    assert.deepEqual(result.unknown, {
      error: 'ConsulException',
      message: '500 CheckID "py2-none" does not have associated TTL',
    });
    assert.deepEqual(result.http, {
      error: 'ConsulException',
      message: '500 CheckID "py2-http" does not have associated TTL',
    });
    assert.deepEqual(result.deregister, [true, false]);
  });

  it('deregisters a service with PUT, and gets False for one it does not know', async () => {
    const result = await py(
      client,
      `
      c.agent.service.register('py2-gone', service_id='py2-gone-1')
      out([c.agent.service.deregister('py2-gone-1'), c.agent.service.deregister('py2-gone-1'),
           'py2-gone-1' in c.agent.services()])
      `,
    );
    assert.deepEqual(result, [true, false, false]);
  });

  it('filters catalog nodes by node meta, orders them near the agent and reads services', async () => {
    // ?near orders by network coordinates: the agent at the origin, py2-node 1 ms away.
    const registered = await t.request('PUT', '/v1/catalog/register', {
      body: JSON.stringify({ Node: 'py2-node', Address: '10.8.0.1', NodeMeta: { zone: 'z1' } }),
    });
    assert.equal(registered.status, 200, registered.text);
    await placeNodes(t, { [t.agent.config.nodeName]: 0, 'py2-node': 1 });
    const result = (await py(
      client,
      `
      c.catalog.register('py2-node', '10.8.0.1', service={'Service': 'py2-ext'},
                         node_meta={'zone': 'z1'})
      out({'zone': c.catalog.nodes(node_meta={'zone': 'z1'}),
           'near': c.catalog.nodes(near='_agent')[1][0]['Node'],
           'service': c.catalog.service('py2-ext', node_meta={'zone': 'z1'}),
           'unknown': c.catalog.service('py2-none')})
      `,
    )) as Record<string, [unknown, unknown]> & { near: string };
    assertIndex(result.zone[0]);
    assert.deepEqual(
      (result.zone[1] as Row[]).map((n) => n.Node),
      ['py2-node'],
    );
    assert.equal(result.near, t.agent.config.nodeName);
    assert.equal((result.service[1] as Row[])[0].ServiceName, 'py2-ext');
    assertIndex(result.unknown[0]);
    assert.deepEqual(result.unknown[1], []);
  });

  it('wakes a blocking catalog read when a service registers', async () => {
    const result = (await py(
      client,
      `
      import threading
      index, _ = c.catalog.services()
      def later():
          time.sleep(0.3)
          consul.Consul(host=sys.argv[1], port=int(sys.argv[2])).catalog.register(
              'py2-late', '10.8.0.9', service={'Service': 'py2-late'})
      threading.Thread(target=later).start()
      started = time.time()
      woken, services = c.catalog.services(index=index, wait='20s')
      out({'index': index, 'woken': woken, 'late': 'py2-late' in services,
           'seconds': time.time() - started})
      `,
    )) as { index: string; woken: string; late: boolean; seconds: number };
    assert.ok(assertIndex(result.woken) > assertIndex(result.index));
    assert.equal(result.late, true);
    assert.ok(result.seconds < 15, `woken after ${result.seconds}s`);
  });

  it('reads health with ?passing, checks, states and node checks', async () => {
    const result = (await py(
      client,
      `
      c.catalog.register('py2-hn', '10.8.0.2', service={'Service': 'py2-h', 'ID': 'py2-h-1'},
          check={'Name': 'ok', 'CheckID': 'py2-h-ok', 'ServiceID': 'py2-h-1', 'Status': 'passing'})
      out({'passing': c.health.service('py2-h', passing=True),
           'checks': c.health.checks('py2-h'), 'state': c.health.state('passing'),
           'node': c.health.node('py2-hn')})
      `,
    )) as Record<string, [unknown, unknown]>;
    for (const name of ['passing', 'checks', 'state', 'node']) assertIndex(result[name][0]);
    const [entry] = result.passing[1] as { Node: Row; Service: Row; Checks: Row[] }[];
    assert.deepEqual(
      [entry.Node.Node, entry.Service.ID, entry.Checks.map((c) => c.CheckID)],
      ['py2-hn', 'py2-h-1', ['py2-h-ok']],
    );
    assert.ok((result.state[1] as Row[]).some((c) => c.CheckID === 'py2-h-ok'));
    assert.deepEqual(
      (result.node[1] as Row[]).map((c) => c.CheckID),
      ['py2-h-ok'],
    );
  });

  it('reads the agent, members and the raft leader', async () => {
    const result = (await py(
      client,
      `out({'self': c.agent.self()['Config']['Datacenter'], 'members': len(c.agent.members()),
            'leader': c.status.leader(), 'peers': c.status.peers()})`,
    )) as Record<string, unknown>;
    assert.deepEqual(result.self, 'dc1');
    assert.equal(result.members, 1);
    assert.deepEqual(result.peers, [result.leader]);
  });
});
