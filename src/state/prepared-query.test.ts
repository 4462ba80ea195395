// The prepared-queries table through the FSM: set/update/delete and their indexes, Consul's
// refusals, lookups by ID, name and template prefix, template rendering, deletion with the
// session, the snapshot round trip, and watch sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Command } from './commands';
import { encodeCommand, decodeCommand } from './codec';
import { applyCommand } from './fsm';
import { compileTemplate, QueryTemplateError } from './prepared-query-template';
import {
  emptyPreparedQuery,
  type PreparedQueryResult,
  type PreparedQueryWrite,
} from './prepared-query-types';
import { StateStore } from './store';

const ID_A = '11111111-2222-4333-8444-555555555555';
const ID_B = '66666666-7777-4888-9999-aaaaaaaaaaaa';

function apply(store: StateStore, cmd: Command): unknown {
  // Every command goes through the wire codec, as a Raft entry would.
  return applyCommand(store, store.lastIndex() + 1, decodeCommand(encodeCommand(cmd)));
}

function query(id: string, fields: Partial<PreparedQueryWrite> = {}): PreparedQueryWrite {
  const base = emptyPreparedQuery(id);
  base.service.service = 'web';
  return { ...base, ...fields };
}

function set(store: StateStore, write: PreparedQueryWrite): PreparedQueryResult {
  return apply(store, {
    type: 'prepared-query-apply',
    op: 'update',
    query: write,
  }) as PreparedQueryResult;
}

function template(id: string, name: string, service: Partial<PreparedQueryWrite['service']>) {
  const write = query(id, { name });
  write.template = { type: 'name_prefix_match', regexp: '^[a-z]+-(.*)$', removeEmptyTags: false };
  write.service = { ...write.service, ...service };
  return write;
}

describe('prepared-queries table', () => {
  it('stores a query, keeps its CreateIndex on update and deletes it', () => {
    const store = new StateStore();
    assert.deepEqual(set(store, query(ID_A, { name: 'one' })), { ok: true });
    const created = store.preparedQueryGet(ID_A).value;
    assert.ok(created !== null);
    assert.equal(created.createIndex, created.modifyIndex);
    assert.deepEqual(set(store, query(ID_A, { name: 'renamed' })), { ok: true });
    const updated = store.preparedQueryGet(ID_A.toUpperCase()).value;
    assert.equal(updated?.createIndex, created.createIndex);
    assert.ok((updated?.modifyIndex ?? 0) > created.modifyIndex);
    // The old name is free again.
    assert.deepEqual(set(store, query(ID_B, { name: 'one' })), { ok: true });
    apply(store, { type: 'prepared-query-apply', op: 'delete', query: emptyPreparedQuery(ID_A) });
    assert.equal(store.preparedQueryGet(ID_A).value, null);
    assert.deepEqual(
      store.preparedQueryList().value.map((q) => q.id),
      [ID_B],
    );
    assert.equal(store.preparedQueryList().index, store.lastIndex());
  });

  it('refuses a taken name, a name that is an ID, a second unnamed template, an unknown session', () => {
    const store = new StateStore();
    set(store, query(ID_A, { name: 'Taken' }));
    assert.deepEqual(set(store, query(ID_B, { name: 'taken' })), {
      ok: false,
      error: "name 'taken' aliases an existing query name",
    });
    assert.deepEqual(set(store, query(ID_B, { name: ID_A })), {
      ok: false,
      error: `name '${ID_A}' aliases an existing query ID`,
    });
    assert.deepEqual(set(store, template(ID_B, '', {})), { ok: true });
    assert.deepEqual(set(store, template('99999999-2222-4333-8444-555555555555', '', {})), {
      ok: false,
      error: 'a query template with an empty name already exists',
    });
    assert.deepEqual(set(store, query(ID_B, { session: 'nope' })), {
      ok: false,
      error: 'invalid session "nope"',
    });
    // A refused write changes nothing.
    assert.equal(store.preparedQueryGet(ID_B).value?.template.type, 'name_prefix_match');
  });

  it('resolves by ID, then exact name, then the longest template prefix', () => {
    const store = new StateStore();
    set(store, query(ID_A, { name: 'exact' }));
    set(store, template(ID_B, 'geo-', { service: '${match(1)}' }));
    set(
      store,
      template('33333333-2222-4333-8444-555555555555', 'geo-eu-', { service: 'eu-${name.suffix}' }),
    );
    assert.equal(store.preparedQueryResolve(ID_A, '').value?.name, 'exact');
    assert.equal(store.preparedQueryResolve('EXACT', '').value?.id, ID_A);
    assert.equal(store.preparedQueryResolve('geo-us-web', '').value?.service.service, 'us-web');
    assert.equal(store.preparedQueryResolve('geo-eu-web', '').value?.service.service, 'eu-web');
    assert.equal(store.preparedQueryResolve('other', '').value, null);
    assert.throws(() => store.preparedQueryResolve(ID_B, ''), /only be resolved up by name/);
  });

  it('deletes the queries of a session when the session is destroyed', async () => {
    const store = new StateStore();
    apply(store, {
      type: 'catalog-register',
      registration: {
        id: '',
        node: 'n1',
        address: '10.0.0.1',
        datacenter: 'dc1',
        taggedAddresses: {},
        nodeMeta: {},
        skipNodeUpdate: false,
        service: null,
        checks: [],
      },
    });
    const session = {
      id: 'sess-1',
      name: '',
      node: 'n1',
      lockDelayNs: 0,
      behavior: 'release' as const,
      ttl: '',
      nodeChecks: [],
      serviceChecks: null,
      checks: null,
    };
    apply(store, { type: 'session-create', session });
    assert.deepEqual(set(store, query(ID_A, { session: 'sess-1' })), { ok: true });
    set(store, query(ID_B, { name: 'unbound' }));
    const ws = store.newWatchSet();
    store.preparedQueryGet(ID_A, ws);
    const woken = ws.wait(5000);
    apply(store, { type: 'session-destroy', id: 'sess-1' });
    assert.equal(await woken, true, 'a reader of the query is woken');
    assert.equal(store.preparedQueryGet(ID_A).value, null);
    assert.notEqual(store.preparedQueryGet(ID_B).value, null);
  });

  it('survives a snapshot with its indexes rebuilt', () => {
    const store = new StateStore();
    set(store, query(ID_A, { name: 'snap' }));
    set(store, template(ID_B, 'tpl-', { service: '${name.suffix}' }));
    const copy = new StateStore();
    copy.restore(store.snapshot());
    assert.deepEqual(copy.preparedQueryList().value, store.preparedQueryList().value);
    assert.equal(copy.preparedQueryResolve('tpl-db', '').value?.service.service, 'db');
    assert.deepEqual(set(copy, query('44444444-2222-4333-8444-555555555555', { name: 'snap' })), {
      ok: false,
      error: "name 'snap' aliases an existing query name",
    });
  });
});

describe('prepared-query templates', () => {
  it('renders every variable, captures, escapes and map values', () => {
    const write = template(ID_A, 'pre-', {
      service: '${name.full}|${name.prefix}|${name.suffix}|${agent.segment}|$${x}',
      tags: ['${match(0)}', '${match(1)}', '${match(7)}'],
      nodeMeta: { zone: '${match(1)}' },
      failover: { nearestN: 0, datacenters: ['dc-${match(1)}'], targets: [] },
    });
    const rendered = compileTemplate(write).render('pre-xyz', 'seg');
    assert.equal(rendered.service.service, 'pre-xyz|pre-|xyz|seg|${x}');
    assert.deepEqual(rendered.service.tags, ['pre-xyz', 'xyz', '']);
    assert.deepEqual(rendered.service.nodeMeta, { zone: 'xyz' });
    assert.deepEqual(rendered.service.failover.datacenters, ['dc-xyz']);
    // The prototype is untouched.
    assert.equal(
      write.service.service,
      '${name.full}|${name.prefix}|${name.suffix}|${agent.segment}|$${x}',
    );
  });

  it('drops empty tags with RemoveEmptyTags and refuses what does not compile', () => {
    const write = template(ID_A, 'p-', { tags: ['${match(1)}', 'fixed'] });
    write.template.removeEmptyTags = true;
    assert.deepEqual(compileTemplate(write).render('nomatch', '').service.tags, ['fixed']);
    const bad = template(ID_A, 'p-', { service: '${' });
    assert.throws(() => compileTemplate(bad), QueryTemplateError);
    const badRegexp = template(ID_A, 'p-', {});
    badRegexp.template.regexp = 'a(?=b)';
    assert.throws(() => compileTemplate(badRegexp), /^QueryTemplateError: Bad Regexp: /);
  });
});
