// Interoperability with a real hashicorp/memberlist 0.2 peer built from Debian's Go sources.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keyring, Memberlist, type MemberlistConfig } from '../../../src/gossip/memberlist';
import { GoPeer, goPeerBinary, type GoPeerOptions } from './go-peer';
import { capturingLogger, fastConfig, RecordingDelegate, stateOf, waitFor } from './support';

/** memberlist log lines that mean it could not read what it was sent. */
const WIRE_COMPLAINT =
  /Failed to decode|not supported|invalid checksum|Decrypt|decompress|Failed to receive|Failed to read|truncated|incompatible|invalid msgType/i;

const peers: GoPeer[] = [];
const lists: Memberlist[] = [];
after(async () => {
  await Promise.all(peers.map((p) => p.kill()));
  await Promise.all(lists.map((m) => m.shutdown()));
});

before(
  async () => {
    // The first build compiles memberlist and its dependencies (about a minute on a busy box).
    await goPeerBinary();
  },
  { timeout: 300_000 },
);

async function startTs(name: string, bind: string, extra: Partial<MemberlistConfig> = {}) {
  const delegate = new RecordingDelegate(`${name}-meta`, `${name}-state`);
  const m = await Memberlist.create(
    fastConfig(name, {
      bindAddr: bind,
      probeInterval: 200,
      probeTimeout: 100,
      // Consul's serf versions, as the Go peer advertises them.
      delegateProtocolMin: 2,
      delegateProtocolMax: 5,
      delegateProtocolVersion: 4,
      delegate,
      ...extra,
    }),
  );
  lists.push(m);
  return { m, delegate };
}

async function startGo(opts: GoPeerOptions): Promise<GoPeer> {
  const p = await GoPeer.start(opts);
  peers.push(p);
  return p;
}

test('a Go member joins ours over an encrypted pool; each sees the other alive with its meta and state', async () => {
  const key = Buffer.alloc(32, 11);
  const { m, delegate } = await startTs('ts1', '127.0.0.51', { keyring: Keyring.create([], key) });
  const go = await startGo({
    name: 'go1',
    bind: '127.0.0.52',
    key,
    join: `127.0.0.51:${m.boundPort}`,
  });
  await go.waitLine(/^JOINED 1$/);
  await waitFor('go1 alive', () => stateOf(m, 'go1') === 'alive');
  const goNode = m.members().find((n) => n.name === 'go1')!;
  assert.equal(Buffer.from(goNode.meta).toString(), 'go-meta');
  assert.deepEqual(
    [goNode.pMin, goNode.pMax, goNode.pCur, goNode.dMin, goNode.dMax, goNode.dCur],
    [1, 5, 2, 2, 5, 4],
  );
  assert.ok(delegate.remoteStates.some((s) => s.state === 'go-state' && s.join));
  await go.waitLine(/^JOIN ts1 127\.0\.0\.51:\d+$/);
  await go.waitLine(/^STATE ts1-state true$/);
  assert.deepEqual(await go.members(), ['go1', 'ts1']);

  // User messages both ways, over TCP and UDP.
  go.command('send ts1 hi');
  await waitFor(
    'messages from Go',
    () => delegate.messages.includes('hi') && delegate.messages.includes('hi-udp'),
  );
  m.sendBestEffort(goNode, Buffer.from('yo-udp'));
  await m.sendReliable(goNode, Buffer.from('yo-tcp'));
  await go.waitLine(/^MSG yo-udp$/);
  await go.waitLine(/^MSG yo-tcp$/);

  // Periodic push/pull runs both ways (not only the join).
  await go.waitLine(/^STATE ts1-state false$/);
  await waitFor('anti-entropy from Go', () => delegate.remoteStates.some((s) => !s.join));
  // The Go member never had to complain about the bytes we sent (timing warnings under a
  // busy machine are not the wire's fault).
  assert.deepEqual(
    go.logs.filter((l) => WIRE_COMPLAINT.test(l)),
    [],
  );
});

test('a kill -9 of the Go member is detected by ours, and a crash of ours by the Go member', async () => {
  const { m: a } = await startTs('ts2', '127.0.0.53');
  const go = await startGo({ name: 'go2', bind: '127.0.0.54' });
  // Here our member joins the Go one.
  assert.equal(await a.join([`127.0.0.54:${go.port}`]), 1);
  await go.waitLine(/^JOIN ts2 /);
  const go3 = await startGo({ name: 'go3', bind: '127.0.0.55', join: `127.0.0.54:${go.port}` });
  await waitFor('three members', () => a.numMembers() === 3);
  await go.kill();
  await waitFor('go2 failed', () => stateOf(a, 'go2') === 'dead');
  await a.shutdown();
  await go3.waitLine(/^LEAVE ts2$/);
  assert.ok(go3.logs.some((l) => /Marking ts2 as failed/.test(l)));
});

test('a graceful leave of ours is seen as left by the Go member', async () => {
  const { m } = await startTs('ts4', '127.0.0.56');
  const go = await startGo({ name: 'go4', bind: '127.0.0.57', join: `127.0.0.56:${m.boundPort}` });
  await go.waitLine(/^JOINED 1$/);
  await waitFor('go4 alive', () => stateOf(m, 'go4') === 'alive');
  await m.leave(2000);
  await go.waitLine(/^LEAVE ts4$/);
  // Left, not failed.
  assert.ok(!go.logs.some((l) => /Marking ts4 as failed/.test(l)), go.logs.join('\n'));
  go.command('leave');
  await go.waitLine(/^LEFT$/);
});

test('a Go member with a different key is refused, and so is a Go member without encryption', async () => {
  const log = capturingLogger();
  const { m } = await startTs('ts5', '127.0.0.58', {
    keyring: Keyring.create([], Buffer.alloc(16, 1)),
    logger: log.logger,
  });
  const wrong = await startGo({
    name: 'go5',
    bind: '127.0.0.59',
    key: Buffer.alloc(16, 2),
    join: `127.0.0.58:${m.boundPort}`,
  });
  await wrong.waitLine(/^JOINERR .*Failed to join 127\.0\.0\.58/);
  const plain = await startGo({
    name: 'go6',
    bind: '127.0.0.60',
    join: `127.0.0.58:${m.boundPort}`,
  });
  await plain.waitLine(/^JOINERR /);
  assert.equal(m.numMembers(), 1);
  assert.ok(log.lines.some((l) => /No installed keys could decrypt the message/.test(l.msg)));
  // Ours cannot join them either.
  await assert.rejects(m.join([`127.0.0.59:${wrong.port}`]), /Failed to join/);
});

test('rotating keys across Go and ours keeps the pool together', async () => {
  const k1 = Buffer.alloc(16, 21);
  const k2 = Buffer.alloc(32, 22);
  // The Go peer only knows k1; ours holds k2 as primary and k1 as a secondary key.
  const { m } = await startTs('ts7', '127.0.0.61', { keyring: Keyring.create([k1], k1) });
  const go = await startGo({
    name: 'go7',
    bind: '127.0.0.62',
    key: k1,
    join: `127.0.0.61:${m.boundPort}`,
  });
  await go.waitLine(/^JOINED 1$/);
  m.config.keyring!.addKey(k2);
  m.config.keyring!.useKey(k2);
  // Ours now seals with k2, which the Go peer cannot open: it soon sees us failed.
  await go.waitLine(/^LEAVE ts7$/, 20_000);
  assert.ok(go.logs.some((l) => /No installed keys could decrypt the message/.test(l)));
  // Back to k1 as primary: the Go peer can read us again and a rejoin succeeds.
  m.config.keyring!.useKey(k1);
  const seen = go.lines.length;
  assert.equal(await m.join([`127.0.0.62:${go.port}`]), 1);
  await go.waitLine(/^JOIN ts7 /, 20_000, seen);
});

test('protocol version 1 (padded encryption version 0) interoperates both ways', async () => {
  const key = Buffer.alloc(24, 31);
  let acks = 0;
  const { m } = await startTs('ts8', '127.0.0.63', {
    keyring: Keyring.create([], key),
    protocolVersion: 1,
    ping: { ackPayload: () => new Uint8Array(0), notifyPingComplete: () => acks++ },
  });
  const go = await startGo({
    name: 'go8',
    bind: '127.0.0.64',
    key,
    proto: 1,
    join: `127.0.0.63:${m.boundPort}`,
  });
  await go.waitLine(/^JOINED 1$/);
  await waitFor('go8 alive', () => stateOf(m, 'go8') === 'alive');
  assert.equal(m.members().find((n) => n.name === 'go8')!.pCur, 1);
  // Several of our probes answered, and a periodic push/pull from the Go side.
  await waitFor('five acked probes', () => acks >= 5);
  await go.waitLine(/^STATE ts8-state false$/);
  assert.equal(stateOf(m, 'go8'), 'alive');
  assert.deepEqual(await go.members(), ['go8', 'ts8']);
  assert.deepEqual(
    go.logs.filter((l) => WIRE_COMPLAINT.test(l)),
    [],
  );
});
