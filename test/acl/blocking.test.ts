// ACL reads are blocking queries: a list or a read with ?index waits until its table (tokens,
// policies, roles) moves past it, and only a write to that table wakes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MANAGEMENT, startAclAgent, type AclAgent } from './harness';

describe('blocking ACL reads', () => {
  let t: AclAgent;
  before(async () => {
    t = await startAclAgent();
  });
  after(() => t.stop());

  it('a token list held on its index wakes on a new token, not on a new policy', async () => {
    const first = await t.as(MANAGEMENT, 'GET', '/v1/acl/tokens');
    assert.equal(first.status, 200, first.text);
    const index = Number(first.headers['x-consul-index']);
    assert.ok(index > 0);
    let answered = false;
    const held = t.as(MANAGEMENT, 'GET', `/v1/acl/tokens?index=${index}&wait=30s`).then((r) => {
      answered = true;
      return r;
    });
    const policy = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
      Name: 'unrelated',
      Rules: 'key_prefix "" { policy = "read" }',
    });
    assert.equal(policy.status, 200, policy.text);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(answered, false, 'a policy write does not wake a token list');
    const created = await t.as(MANAGEMENT, 'PUT', '/v1/acl/token', { Description: 'new one' });
    assert.equal(created.status, 200, created.text);
    const woke = await held;
    assert.equal(woke.status, 200, woke.text);
    assert.ok(Number(woke.headers['x-consul-index']) > index);
    const listed = JSON.parse(woke.text) as { Description: string }[];
    assert.ok(listed.some((token) => token.Description === 'new one'));
  });

  it('a policy read held on its index wakes when the policy changes', async () => {
    const created = await t.as(MANAGEMENT, 'PUT', '/v1/acl/policy', {
      Name: 'watched',
      Rules: 'node_prefix "" { policy = "read" }',
    });
    const { ID } = JSON.parse(created.text) as { ID: string };
    const read = await t.as(MANAGEMENT, 'GET', `/v1/acl/policy/${ID}`);
    const index = Number(read.headers['x-consul-index']);
    const held = t.as(MANAGEMENT, 'GET', `/v1/acl/policy/${ID}?index=${index}&wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const updated = await t.as(MANAGEMENT, 'PUT', `/v1/acl/policy/${ID}`, {
      Name: 'watched',
      Description: 'changed',
      Rules: 'node_prefix "" { policy = "read" }',
    });
    assert.equal(updated.status, 200, updated.text);
    const woke = await held;
    assert.equal((JSON.parse(woke.text) as { Description: string }).Description, 'changed');
  });
});
