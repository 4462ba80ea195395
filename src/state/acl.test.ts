import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EntryType, type LogEntry } from '../raft';
import type { AclPolicyRecord, AclTokenRecord } from './acl';
import { encodeCommand } from './codec';
import type { Command } from './commands';
import { Fsm } from './fsm';
import { StateStore } from './store';

function entry(index: number, cmd: Command): LogEntry {
  return { index, term: 1, type: EntryType.Command, data: encodeCommand(cmd) };
}

function token(accessorId: string, secretId: string, policies: string[] = []): AclTokenRecord {
  return {
    accessorId,
    secretId,
    description: `token ${accessorId}`,
    policies: policies.map((id) => ({ id })),
    roles: [],
    serviceIdentities: [{ serviceName: 'web', datacenters: ['dc1'] }],
    nodeIdentities: [],
    local: false,
    expirationTime: null,
    createTime: '2026-01-01T00:00:00.000Z',
    hash: 'h',
    createIndex: 0,
    modifyIndex: 0,
  };
}

function policy(id: string, name: string): AclPolicyRecord {
  return {
    id,
    name,
    description: '',
    rules: 'key_prefix "" { policy = "read" }',
    datacenters: [],
    hash: 'h',
    createIndex: 0,
    modifyIndex: 0,
  };
}

describe('ACL tables', () => {
  it('stores tokens by accessor and by secret, stamped with the Raft index', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    assert.deepEqual(fsm.apply(entry(1, { type: 'acl-token-set', token: token('a', 's') })), {
      ok: true,
    });
    fsm.apply(entry(2, { type: 'acl-token-set', token: { ...token('a', 's'), description: 'x' } }));
    const row = store.acl.tokenBySecret('s');
    assert.equal(row?.accessorId, 'a');
    assert.equal(row?.createIndex, 1);
    assert.equal(row?.modifyIndex, 2);
    assert.equal(store.acl.token('a').index, 2);
  });

  it('refuses a second token with the same secret and a changed secret', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    fsm.apply(entry(1, { type: 'acl-token-set', token: token('a', 's') }));
    const dup = fsm.apply(entry(2, { type: 'acl-token-set', token: token('b', 's') }));
    assert.deepEqual(dup, { ok: false, error: 'Invalid Token: SecretID is already in use' });
    const changed = fsm.apply(entry(3, { type: 'acl-token-set', token: token('a', 't') }));
    assert.equal((changed as { ok: boolean }).ok, false);
    assert.equal(store.acl.tokenBySecret('t'), null);
  });

  it('keeps policy names unique and follows renames', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    fsm.apply(entry(1, { type: 'acl-policy-set', policy: policy('p1', 'one') }));
    const dup = fsm.apply(entry(2, { type: 'acl-policy-set', policy: policy('p2', 'one') }));
    assert.equal((dup as { ok: boolean }).ok, false);
    fsm.apply(entry(3, { type: 'acl-policy-set', policy: policy('p1', 'renamed') }));
    assert.equal(store.acl.policyByName('one').value, null);
    assert.equal(store.acl.policyByName('renamed').value?.id, 'p1');
    fsm.apply(entry(4, { type: 'acl-policy-delete', id: 'p1' }));
    assert.equal(store.acl.policyByName('renamed').value, null);
  });

  it('bootstraps once, then only with the reset index of the last bootstrap', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    const first = fsm.apply(
      entry(1, { type: 'acl-bootstrap', token: token('b1', 's1'), resetIndex: 0 }),
    );
    assert.deepEqual(first, { ok: true });
    const again = fsm.apply(
      entry(2, { type: 'acl-bootstrap', token: token('b2', 's2'), resetIndex: 0 }),
    );
    assert.deepEqual(again, {
      ok: false,
      error: 'ACL bootstrap no longer allowed (reset index: 1)',
      resetIndex: 1,
    });
    const reset = fsm.apply(
      entry(3, { type: 'acl-bootstrap', token: token('b3', 's3'), resetIndex: 1 }),
    );
    assert.deepEqual(reset, { ok: true });
    assert.equal(store.acl.bootstrapIndex(), 3);
  });

  it('initialisation writes only what is missing and counts as bootstrap with a management token', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    const init = (index: number): unknown =>
      fsm.apply(
        entry(index, {
          type: 'acl-init',
          policies: [policy('gm', 'global-management')],
          tokens: [token(`m${index}`, 'management-secret', ['gm'])],
          bootstrapped: true,
        }),
      );
    assert.deepEqual(init(1), { ok: true });
    assert.deepEqual(init(2), { ok: true });
    assert.equal(store.acl.tokens().value.length, 1);
    assert.equal(store.acl.bootstrapIndex(), 1);
  });

  it('survives a snapshot and restore with every index', () => {
    const store = new StateStore();
    const fsm = new Fsm(store);
    fsm.apply(entry(1, { type: 'acl-policy-set', policy: policy('p1', 'one') }));
    fsm.apply(entry(2, { type: 'acl-token-set', token: token('a', 's', ['p1']) }));
    fsm.apply(
      entry(3, {
        type: 'acl-role-set',
        role: {
          id: 'r1',
          name: 'role',
          description: '',
          policies: [{ id: 'p1' }],
          serviceIdentities: [],
          nodeIdentities: [{ nodeName: 'n', datacenter: 'dc1' }],
          hash: 'h',
          createIndex: 0,
          modifyIndex: 0,
        },
      }),
    );
    fsm.apply(entry(4, { type: 'acl-bootstrap', token: token('b', 'bs'), resetIndex: 0 }));
    const restored = new StateStore();
    restored.restore(store.snapshot());
    assert.deepEqual(restored.acl.tokenBySecret('s'), store.acl.tokenBySecret('s'));
    assert.deepEqual(restored.acl.roleByName('role'), store.acl.roleByName('role'));
    assert.deepEqual(restored.acl.policyByName('one'), store.acl.policyByName('one'));
    assert.equal(restored.acl.bootstrapIndex(), 4);
    assert.equal(restored.acl.generation(), store.acl.generation());
    assert.deepEqual(restored.snapshot(), store.snapshot());
  });
});
