// Sessions, locks, semaphores and leader election of the SDK against a real agent process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  kvText,
  LOCK_FLAG_VALUE,
  LockConflictError,
  SEMAPHORE_FLAG_VALUE,
  type Consul,
  type LeaderElection,
} from '../src';
import { eventually, startAgentProcess, type AgentProcess } from './agent-process';

let agent: AgentProcess;
let consul: Consul;
let nodeName: string;

// Short lock-delays and retries keep hand-overs quick; the behaviour is the same as the defaults.
const FAST = { lockDelay: '50ms', retryMs: 50, waitMs: 5000 } as const;

before(async () => {
  agent = await startAgentProcess({ args: ['-hcl', 'session_ttl_min = "200ms"'] });
  consul = agent.client();
  nodeName = (await consul.agent.self()).Config.NodeName;
  await eventually(async () => {
    const checks = await consul.health.node(nodeName);
    return checks.data.some((check) => check.CheckID === 'serfHealth');
  }, 'serfHealth in the catalog');
});
after(() => agent.destroy());

describe('consul.session', () => {
  test('create, info, node, list, renew and destroy', async () => {
    const id = await consul.session.create({ name: 'sdk', ttl: '10s', behavior: 'delete' });
    const { data: info, meta } = await consul.session.info(id);
    assert.equal(info?.Name, 'sdk');
    assert.equal(info?.Behavior, 'delete');
    assert.equal(info?.TTL, '10s');
    assert.ok(meta.index > 0);
    assert.ok((await consul.session.node(nodeName)).data.some((s) => s.ID === id));
    assert.ok((await consul.session.list()).data.some((s) => s.ID === id));
    assert.equal((await consul.session.renew(id))?.ID, id);
    await consul.session.destroy(id);
    assert.equal((await consul.session.info(id)).data, undefined);
    assert.equal(await consul.session.renew(id), undefined);
  });

  test('a renewer keeps a short TTL session alive, and reports expiry once it is gone', async () => {
    const id = await consul.session.create({ ttl: '300ms' });
    const renewer = consul.session.renewPeriodically(id, '300ms');
    const expired = new Promise<unknown>((resolve) => renewer.once('expired', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.notEqual((await consul.session.info(id)).data, undefined);
    await consul.session.destroy(id);
    assert.match(String(await expired), /expired/);
    await renewer.stop();
  });
});

describe('lock(key)', () => {
  test('one holder at a time; release hands the lock to the waiter', async () => {
    const first = consul.lock('sdk/lock/a', { ...FAST, value: 'first' });
    const second = consul.lock('sdk/lock/a', { ...FAST, value: 'second' });
    assert.equal(await first.acquire(), true);
    const { data: pair } = await consul.kv.get('sdk/lock/a');
    assert.equal(pair?.Flags, LOCK_FLAG_VALUE);
    assert.equal(pair?.Session, first.sessionId);
    assert.equal(pair?.LockIndex, 1);
    let secondHeld = false;
    const waiting = second.acquire().then((held) => (secondHeld = held));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(secondHeld, false);
    await first.release();
    assert.equal(await waiting, true);
    const { data: now } = await consul.kv.get('sdk/lock/a');
    assert.equal(now?.Session, second.sessionId);
    assert.equal(kvText(now), 'second');
    assert.equal(now?.LockIndex, 2);
    await second.release();
    assert.equal(await second.destroy(), true);
    assert.equal((await consul.kv.get('sdk/lock/a')).data, undefined);
  });

  test('reports loss when its session is invalidated, and a waiter takes over after lock-delay', async () => {
    const holder = consul.lock('sdk/lock/b', FAST);
    assert.equal(await holder.acquire(), true);
    const lost = new Promise<unknown>((resolve) => holder.once('lost', resolve));
    const waiter = consul.lock('sdk/lock/b', FAST);
    const taken = waiter.acquire();
    await consul.session.destroy(holder.sessionId as string);
    await lost;
    assert.equal(holder.held, false);
    assert.equal(await taken, true);
    await Promise.all([holder.release(), waiter.release()]);
  });

  test('an abort while waiting resolves false and holds nothing', async () => {
    const holder = consul.lock('sdk/lock/c', FAST);
    assert.equal(await holder.acquire(), true);
    const waiter = consul.lock('sdk/lock/c', FAST);
    const controller = new AbortController();
    const attempt = waiter.acquire(controller.signal);
    setTimeout(() => controller.abort(), 100);
    assert.equal(await attempt, false);
    await Promise.all([holder.release(), waiter.release()]);
  });

  test('a key with other flags is a conflict', async () => {
    await consul.kv.put('sdk/lock/d', 'plain', { flags: 7 });
    const lock = consul.lock('sdk/lock/d', FAST);
    await assert.rejects(lock.acquire(), LockConflictError);
    await lock.release();
  });
});

describe('semaphore(prefix, limit)', () => {
  test('admits limit holders, keeps Consul layout, and admits the next on release', async () => {
    const [a, b, c] = [1, 2, 3].map(() => consul.semaphore('sdk/sem', 2, FAST));
    assert.equal(await a.acquire(), true);
    assert.equal(await b.acquire(), true);
    let cHeld = false;
    const waiting = c.acquire().then((held) => (cHeld = held));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(cHeld, false);
    const { data: lockPair } = await consul.kv.get('sdk/sem/.lock');
    assert.equal(lockPair?.Flags, SEMAPHORE_FLAG_VALUE);
    const doc = JSON.parse(kvText(lockPair) ?? '') as { Limit: number; Holders: object };
    assert.equal(doc.Limit, 2);
    assert.deepEqual(Object.keys(doc.Holders).sort(), [a.sessionId, b.sessionId].sort());
    const { data: contender } = await consul.kv.get(`sdk/sem/${c.sessionId}`);
    assert.equal(contender?.Session, c.sessionId);
    await a.release();
    assert.equal(await waiting, true);
    await Promise.all([b.release(), c.release()]);
    assert.equal(await a.destroy(), true);
  });

  test('a different limit on the same prefix is a conflict', async () => {
    const holder = consul.semaphore('sdk/sem2', 2, FAST);
    assert.equal(await holder.acquire(), true);
    const other = consul.semaphore('sdk/sem2', 3, FAST);
    await assert.rejects(other.acquire(), /semaphore limit conflict \(lock: 2, local: 3\)/);
    await Promise.all([holder.release(), other.release()]);
  });
});

describe('leaderElection(key)', () => {
  test('elects one, hands over on close, and reports loss', async () => {
    const opts = { ...FAST, releaseOnSignals: false };
    const elections: LeaderElection[] = [];
    const elected = (election: LeaderElection): Promise<void> =>
      new Promise((resolve) => election.once('elected', resolve));
    const one = consul.leaderElection('sdk/leader', { ...opts, value: 'one' });
    elections.push(one);
    await elected(one);
    const two = consul.leaderElection('sdk/leader', { ...opts, value: 'two' });
    elections.push(two);
    assert.equal((await one.leader())?.value, 'one');
    const twoElected = elected(two);
    await one.close();
    await twoElected;
    assert.equal(two.isLeader, true);
    assert.equal((await two.leader())?.value, 'two');
    const lost = new Promise((resolve) => two.once('lost', resolve));
    const leader = await two.leader();
    await consul.session.destroy(leader?.session as string);
    await lost;
    // It campaigns again and wins (nobody else is running).
    await eventually(() => two.isLeader, 're-election');
    await Promise.all(elections.map((election) => election.close()));
    assert.equal((await consul.kv.get('sdk/leader')).data?.Session, undefined);
  });
});
