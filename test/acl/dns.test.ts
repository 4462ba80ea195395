// DNS under ACLs: answers only what the agent's DNS token (here acl.tokens.default) may read.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';

import { ask, instance } from '../dns/support';
import { MANAGEMENT, startAclAgent, type AclAgent } from './harness';

const DEFAULT_TOKEN = '2d8a3c8e-5b7f-4e0a-9a51-6c1d1e0b7f33';

let t: AclAgent;
let dnsPort: number;
before(async () => {
  t = await startAclAgent('', true, `default = "${DEFAULT_TOKEN}"`);
  const [address] = t.agent.dnsAddresses;
  dnsPort = Number(address.slice(address.lastIndexOf(':') + 1));
  for (const [node, address, service] of [
    ['n1', '10.0.0.1', 'web'],
    ['n2', '10.0.0.2', 'db'],
  ]) {
    const body = instance(node, address, { Service: service, Port: 80 });
    const response = await t.as(MANAGEMENT, 'PUT', '/v1/catalog/register', body);
    assert.equal(response.status, 200, response.text);
  }
});
after(() => t.stop());

it('answers nothing while the DNS token does not exist', async () => {
  assert.equal((await ask(dnsPort, 'web.service.consul', 'A')).rcode, 'NXDOMAIN');
  assert.equal((await ask(dnsPort, 'n1.node.consul', 'A')).rcode, 'NXDOMAIN');
});

it('answers the services and nodes the DNS token may read, and only those', async () => {
  await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
    Name: 'dns',
    Rules: 'service "web" { policy = "read" }\nnode "n1" { policy = "read" }',
  });
  const created = await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', {
    SecretID: DEFAULT_TOKEN,
    Policies: [{ Name: 'dns' }],
  });
  assert.equal(created.status, 200, created.text);
  const web = await ask(dnsPort, 'web.service.consul', 'A');
  assert.deepEqual(
    web.answers.map((a) => a.data),
    ['10.0.0.1'],
  );
  assert.equal((await ask(dnsPort, 'db.service.consul', 'A')).rcode, 'NXDOMAIN');
  assert.equal((await ask(dnsPort, 'n1.node.consul', 'A')).answers.length, 1);
  assert.equal((await ask(dnsPort, 'n2.node.consul', 'A')).rcode, 'NXDOMAIN');
});
