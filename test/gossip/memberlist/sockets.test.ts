// Memberlist over real UDP and TCP sockets on loopback addresses.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  Keyring,
  Memberlist,
  type MemberlistConfig,
  type MemberlistNode,
} from '../../../src/gossip/memberlist';
import { capturingLogger, fastConfig, RecordingDelegate, stateOf, waitFor } from './support';

const started: Memberlist[] = [];
after(async () => {
  await Promise.all(started.map((m) => m.shutdown()));
});

async function start(config: MemberlistConfig): Promise<Memberlist> {
  const m = await Memberlist.create(config);
  started.push(m);
  return m;
}

const addr = (m: Memberlist): string => `${m.localNode().addr}:${m.boundPort}`;

test('three members on different loopback addresses join through one and see each other', async () => {
  const events: string[] = [];
  const eventsOf = (observer: string): MemberlistConfig['events'] => ({
    notifyJoin: (n: MemberlistNode) => events.push(`${observer} join ${n.name}`),
    notifyLeave: (n: MemberlistNode) => events.push(`${observer} leave ${n.name} ${n.state}`),
    notifyUpdate: (n: MemberlistNode) => events.push(`${observer} update ${n.name}`),
  });
  const da = new RecordingDelegate('meta-a', 'state-a');
  const a = await start(
    fastConfig('a', { bindAddr: '127.0.0.21', delegate: da, events: eventsOf('a') }),
  );
  const b = await start(
    fastConfig('b', {
      bindAddr: '127.0.0.22',
      delegate: new RecordingDelegate('meta-b', 'state-b'),
      events: eventsOf('b'),
    }),
  );
  const c = await start(fastConfig('c', { bindAddr: '127.0.0.23', events: eventsOf('c') }));
  assert.equal(await b.join([addr(a)]), 1);
  assert.equal(await c.join([`a/${addr(a)}`]), 1);
  await waitFor('three members everywhere', () => [a, b, c].every((m) => m.numMembers() === 3));
  const bSeenByC = c.members().find((n) => n.name === 'b');
  assert.equal(bSeenByC?.addr, '127.0.0.22');
  assert.equal(Buffer.from(bSeenByC!.meta).toString(), 'meta-b');
  assert.deepEqual(da.remoteStates, [{ state: 'state-b', join: true }]);
  assert.ok(events.includes('c join b'));

  // A crash (no leave) is detected as failed by the others.
  await b.shutdown();
  await waitFor('b failed', () => stateOf(a, 'b') === 'dead' && stateOf(c, 'b') === 'dead');
  assert.ok(events.includes('a leave b dead'));
  assert.equal(a.numMembers(), 2);

  // A graceful leave is seen as left.
  await c.leave(2000);
  await waitFor('c left', () => stateOf(a, 'c') === 'left');
  await c.shutdown();
});

test('user messages arrive by UDP and TCP, and ack payloads reach the ping delegate', async () => {
  const db = new RecordingDelegate('mb', 'sb');
  const rtts: { name: string; payload: string }[] = [];
  const a = await start(
    fastConfig('pa', {
      ping: {
        ackPayload: () => Buffer.from('from-a'),
        notifyPingComplete: () => undefined,
      },
    }),
  );
  const b = await start(
    fastConfig('pb', {
      delegate: db,
      ping: {
        ackPayload: () => Buffer.from('coord-b'),
        notifyPingComplete: (n, _rtt, payload) =>
          rtts.push({ name: n.name, payload: Buffer.from(payload).toString() }),
      },
    }),
  );
  await a.join([addr(b)]);
  const bNode = a.members().find((n) => n.name === 'pb')!;
  a.sendBestEffort(bNode, Buffer.from('hello-udp'));
  await a.sendReliable(bNode, Buffer.from('hello-tcp'));
  await waitFor('both messages', () => db.messages.length === 2);
  assert.deepEqual([...db.messages].sort(), ['hello-tcp', 'hello-udp']);
  await waitFor('a ping completed with the ack payload', () => rtts.length > 0);
  assert.deepEqual(rtts[0], { name: 'pa', payload: 'from-a' });
});

test('updateNode gossips new metadata and the others see an update', async () => {
  const updates: string[] = [];
  const da = new RecordingDelegate('v1', 's');
  const a = await start(fastConfig('ua', { delegate: da }));
  const b = await start(
    fastConfig('ub', {
      events: {
        notifyJoin: () => undefined,
        notifyLeave: () => undefined,
        notifyUpdate: (n) => updates.push(`${n.name}=${Buffer.from(n.meta).toString()}`),
      },
    }),
  );
  await b.join([addr(a)]);
  da.meta = 'v2';
  await a.updateNode(2000);
  await waitFor('update seen', () => updates.includes('ua=v2'));
});

test('members with the same key form an encrypted pool; a different key is refused', async () => {
  const key = Buffer.alloc(32, 5);
  const other = Buffer.alloc(16, 6);
  const log = capturingLogger();
  const a = await start(fastConfig('ea', { keyring: Keyring.create([], key), logger: log.logger }));
  const b = await start(fastConfig('eb', { keyring: Keyring.create([other], key) }));
  await b.join([addr(a)]);
  await waitFor('encrypted pool', () => a.numMembers() === 2 && b.numMembers() === 2);

  // Bad input is logged once per source address, so each intruder gets its own address.
  const wrong = await start(
    fastConfig('ew', { bindAddr: '127.0.0.31', keyring: Keyring.create([], other) }),
  );
  await assert.rejects(
    wrong.join([addr(a)]),
    /1 error occurred:[\s\S]*Failed to join 127\.0\.0\.1/,
  );
  const plain = await start(fastConfig('ep', { bindAddr: '127.0.0.32' }));
  await assert.rejects(plain.join([addr(a)]), /Failed to join/);
  assert.equal(a.numMembers(), 2);
  assert.ok(log.lines.some((l) => /No installed keys could decrypt the message/.test(l.msg)));
  assert.ok(log.lines.some((l) => /remote state is not encrypted/.test(l.msg)));

  // Key rotation: install on both, switch the primary, retire the old key.
  const next = Buffer.alloc(24, 7);
  a.config.keyring!.addKey(next);
  b.config.keyring!.addKey(next);
  a.config.keyring!.useKey(next);
  b.config.keyring!.useKey(next);
  a.config.keyring!.removeKey(key);
  b.config.keyring!.removeKey(key);
  const c = await start(fastConfig('ec', { keyring: Keyring.create([], next) }));
  await c.join([addr(b)]);
  await waitFor('rotated pool', () => [a, b, c].every((m) => m.numMembers() === 3));
});

test('verify_incoming off accepts plaintext from a member still rolling out encryption', async () => {
  const key = Buffer.alloc(16, 9);
  const a = await start(
    fastConfig('ra', {
      keyring: Keyring.create([], key),
      gossipVerifyIncoming: false,
      gossipVerifyOutgoing: false,
    }),
  );
  const b = await start(fastConfig('rb'));
  await b.join([addr(a)]);
  await waitFor('mixed pool', () => a.numMembers() === 2 && b.numMembers() === 2);
});

test('join rejects with every reason when no address answers', async () => {
  const a = await start(fastConfig('ja', { tcpTimeout: 500 }));
  await assert.rejects(
    a.join(['127.0.0.1:1', '/127.0.0.1:2']),
    (e: Error) =>
      /^2 errors occurred:/.test(e.message) &&
      /Failed to join 127\.0\.0\.1/.test(e.message) &&
      /empty node name provided/.test(e.message),
  );
});

test('a leave still waiting for its broadcast is rejected by shutdown', async () => {
  const a = await start(fastConfig('sa'));
  const b = await start(fastConfig('sb'));
  await b.join([addr(a)]);
  // Shut down in the same tick: no probe or gossip has carried the leave yet.
  const leaving = b.leave(0);
  await b.shutdown();
  await assert.rejects(leaving, /memberlist was shut down/);
});
