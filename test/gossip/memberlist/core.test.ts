// The SWIM core's rules, driven packet by packet, and the pieces it is built from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import {
  ipToBytes,
  lanConfig,
  localConfig,
  MemberlistCore,
  wanConfig,
  pushPullScale,
  retransmitLimit,
  suspicionTimeout,
  TransmitLimitedQueue,
  type Broadcast,
  type MemberlistConfig,
  type MemberlistNode,
} from '../../../src/gossip/memberlist';
import {
  decodeAlive,
  decodeCompound,
  encodeAlive,
  encodeDead,
  encodeSuspect,
  MessageType,
} from '../../../src/gossip/memberlist/messages';
import { seededRandom } from '../../../src/gossip/memberlist/sim';
import { remainingSuspicionTime } from '../../../src/gossip/memberlist/suspicion';

class TestBroadcast implements Broadcast {
  done = 0;
  constructor(
    readonly key: string,
    readonly body: string,
  ) {}
  invalidates(other: Broadcast): boolean {
    return other instanceof TestBroadcast && other.key === this.key;
  }
  message(): Uint8Array {
    return Buffer.from(this.body);
  }
  finished(): void {
    this.done++;
  }
}

test('retransmit limit, suspicion timeout and push/pull scaling match memberlist', () => {
  assert.equal(retransmitLimit(3, 0), 0);
  assert.equal(retransmitLimit(3, 1), 3);
  assert.equal(retransmitLimit(3, 99), 6);
  const expected: Record<number, number> = {
    5: 1000,
    10: 1000,
    50: 1698,
    100: 2000,
    500: 2698,
    1000: 3000,
  };
  for (const [n, ms] of Object.entries(expected)) {
    assert.equal(suspicionTimeout(3, Number(n), 1000) / 3, ms, `n=${n}`);
  }
  assert.equal(pushPullScale(1000, 32), 1000);
  assert.equal(pushPullScale(1000, 33), 2000);
  assert.equal(pushPullScale(1000, 64), 2000);
  assert.equal(pushPullScale(1000, 65), 3000);
  assert.equal(pushPullScale(1000, 128), 3000);
});

test('LAN, WAN and local configurations carry memberlist defaults', () => {
  const lan = lanConfig();
  assert.deepEqual(
    [lan.probeInterval, lan.probeTimeout, lan.suspicionMult, lan.suspicionMaxTimeoutMult],
    [1000, 500, 4, 6],
  );
  assert.deepEqual(
    [lan.gossipNodes, lan.gossipInterval, lan.gossipToTheDeadTime, lan.pushPullInterval],
    [3, 200, 30_000, 30_000],
  );
  assert.deepEqual(
    [lan.retransmitMult, lan.indirectChecks, lan.tcpTimeout, lan.udpBufferSize],
    [4, 3, 10_000, 1400],
  );
  assert.deepEqual([lan.awarenessMaxMultiplier, lan.bindPort, lan.protocolVersion], [8, 7946, 2]);
  assert.ok(lan.enableCompression && lan.gossipVerifyIncoming && lan.gossipVerifyOutgoing);
  const wan = wanConfig();
  assert.deepEqual(
    [wan.probeInterval, wan.probeTimeout, wan.suspicionMult, wan.gossipNodes, wan.gossipInterval],
    [5000, 3000, 6, 4, 500],
  );
  assert.deepEqual(
    [wan.gossipToTheDeadTime, wan.pushPullInterval, wan.tcpTimeout],
    [60_000, 60_000, 30_000],
  );
  const local = localConfig();
  assert.deepEqual(
    [
      local.probeTimeout,
      local.indirectChecks,
      local.retransmitMult,
      local.suspicionMult,
      local.gossipInterval,
    ],
    [200, 1, 2, 3, 100],
  );
});

test('the suspicion deadline shrinks with confirmations as in memberlist', () => {
  const cases: [number, number, number, number][] = [
    [0, 3, 0, 30_000],
    [1, 3, 2_000, 14_000],
    [2, 3, 3_000, 4_810],
    [3, 3, 4_000, -2_000],
    [4, 3, 5_000, -3_000],
    [5, 3, 10_000, -8_000],
  ];
  for (const [n, k, elapsed, want] of cases) {
    assert.equal(remainingSuspicionTime(n, k, elapsed, 2_000, 30_000), want);
  }
});

test('the broadcast queue sends fresh messages first and retires them after the limit', () => {
  const q = new TransmitLimitedQueue(() => 9, 2); // limit 2 × ceil(log10(10)) = 2
  const a = new TestBroadcast('a', 'aaaa');
  const b = new TestBroadcast('b', 'bb');
  q.queueBroadcast(a);
  q.queueBroadcast(b);
  // Same transmit count: the larger message first.
  assert.deepEqual(
    q.getBroadcasts(2, 100).map((m) => Buffer.from(m).toString()),
    ['aaaa', 'bb'],
  );
  const c = new TestBroadcast('c', 'c');
  q.queueBroadcast(c);
  // c has never been sent, so it leads; a budget that fits one message takes it.
  assert.deepEqual(
    q.getBroadcasts(2, 4).map((m) => Buffer.from(m).toString()),
    ['c'],
  );
  q.getBroadcasts(2, 100);
  assert.equal(q.numQueued(), 0);
  assert.deepEqual([a.done, b.done, c.done], [1, 1, 1]);
});

test('a newer broadcast invalidates an older one; named ones replace by name; unique ones never', () => {
  const q = new TransmitLimitedQueue(() => 10, 4);
  const old = new TestBroadcast('x', 'old');
  q.queueBroadcast(old);
  q.queueBroadcast(new TestBroadcast('x', 'new'));
  assert.equal(old.done, 1);
  assert.equal(q.numQueued(), 1);
  const named = (name: string, body: string): Broadcast & { done: number } => {
    const b = Object.assign(new TestBroadcast('n', body), { name: () => name });
    return b;
  };
  const n1 = named('node-1', 'one');
  q.queueBroadcast(n1);
  q.queueBroadcast(named('node-1', 'two'));
  assert.equal(n1.done, 1);
  const u = Object.assign(new TestBroadcast('x', 'unique'), { uniqueBroadcast: () => undefined });
  q.queueBroadcast(u);
  q.queueBroadcast(
    Object.assign(new TestBroadcast('x', 'unique2'), { uniqueBroadcast: () => undefined }),
  );
  assert.equal(u.done, 0);
  assert.equal(q.numQueued(), 4);
  q.prune(2);
  assert.equal(q.numQueued(), 2);
});

// ---- the core, packet by packet -------------------------------------------------------------

const VSN = Uint8Array.from([1, 5, 2, 0, 0, 0]);

interface Harness {
  core: MemberlistCore;
  events: string[];
  conflicts: string[];
  now: number;
}

function harness(overrides: Partial<MemberlistConfig> = {}): Harness {
  const h: Harness = { core: null as unknown as MemberlistCore, events: [], conflicts: [], now: 0 };
  const config: MemberlistConfig = {
    ...lanConfig(),
    name: 'me',
    logger: pino({ level: 'silent' }),
    events: {
      notifyJoin: (n: MemberlistNode) => h.events.push(`join ${n.name}`),
      notifyLeave: (n: MemberlistNode) => h.events.push(`leave ${n.name} ${n.state}`),
      notifyUpdate: (n: MemberlistNode) => h.events.push(`update ${n.name}`),
    },
    conflict: {
      notifyConflict: (a: MemberlistNode, b: MemberlistNode) =>
        h.conflicts.push(`${a.name} ${a.addr} vs ${b.addr}`),
    },
    ...overrides,
  };
  h.core = new MemberlistCore({
    config,
    random: seededRandom(3),
    now: 0,
    advertiseIp: ipToBytes('10.0.0.1'),
    advertisePort: 7946,
  });
  h.core.start(0);
  return h;
}

const from = { ip: '10.0.0.99', port: 7946, name: '' };

function alive(h: Harness, node: string, incarnation: number, ip = '10.0.0.2', meta = ''): void {
  h.core.handlePacket(
    h.now,
    encodeAlive({
      incarnation,
      node,
      addr: ipToBytes(ip),
      port: 7946,
      meta: Buffer.from(meta),
      vsn: VSN,
    }),
    from,
  );
}

function sentAlives(h: Harness, node: string): number[] {
  const out: number[] = [];
  for (const m of h.core.getBroadcasts(2, 65_000)) {
    if (m[0] === MessageType.alive) {
      const a = decodeAlive(m.subarray(1));
      if (a.node === node) out.push(a.incarnation);
    }
  }
  return out;
}

test('an alive is accepted only with a newer incarnation, and incarnation 0 is ignored', () => {
  const h = harness();
  alive(h, 'b', 0);
  assert.equal(h.core.stateOf('b'), 'dead');
  assert.deepEqual(h.events, ['join me']);
  alive(h, 'b', 1, '10.0.0.2', 'm1');
  assert.equal(h.core.stateOf('b'), 'alive');
  alive(h, 'b', 1, '10.0.0.2', 'm2');
  assert.equal(Buffer.from(h.core.node('b')!.meta).toString(), 'm1');
  alive(h, 'b', 2, '10.0.0.2', 'm2');
  assert.deepEqual(h.events, ['join me', 'join b', 'update b']);
});

test('suspect and dead messages about us are refuted with a higher incarnation', () => {
  const h = harness();
  h.core.getBroadcasts(2, 65_000);
  h.core.handlePacket(0, encodeSuspect({ incarnation: 5, node: 'me', from: 'x' }), from);
  assert.deepEqual(sentAlives(h, 'me'), [6]);
  assert.equal(h.core.healthScore(), 1);
  h.core.handlePacket(0, encodeDead({ incarnation: 6, node: 'me', from: 'x' }), from);
  assert.deepEqual(sentAlives(h, 'me'), [7]);
  assert.equal(h.core.stateOf('me'), 'alive');
});

test('a suspected member is declared dead when the suspicion times out, unless it refutes', () => {
  const h = harness();
  alive(h, 'b', 1);
  alive(h, 'c', 1, '10.0.0.3');
  h.core.handlePacket(0, encodeSuspect({ incarnation: 1, node: 'b', from: 'x' }), from);
  h.core.handlePacket(0, encodeSuspect({ incarnation: 1, node: 'c', from: 'x' }), from);
  assert.equal(h.core.stateOf('b'), 'suspect');
  // b refutes; c does not. Three nodes: k = 0, so the timeout is the minimum, 4 s.
  alive(h, 'b', 2);
  h.core.tick(3_999);
  assert.equal(h.core.stateOf('c'), 'suspect');
  h.core.tick(4_000);
  assert.equal(h.core.stateOf('c'), 'dead');
  assert.equal(h.core.stateOf('b'), 'alive');
  assert.ok(h.events.includes('leave c dead'));
});

test('a dead message from the node itself means it left', () => {
  const h = harness();
  alive(h, 'b', 1);
  h.core.handlePacket(0, encodeDead({ incarnation: 1, node: 'b', from: 'b' }), from);
  assert.equal(h.core.stateOf('b'), 'left');
  assert.deepEqual(h.events.slice(-1), ['leave b left']);
  // A left member may come back from another address.
  alive(h, 'b', 1, '10.0.0.7');
  assert.equal(h.core.stateOf('b'), 'alive');
  assert.equal(h.core.node('b')!.addr, '10.0.0.7');
});

test('another address for a live name is a conflict and is rejected', () => {
  const h = harness();
  alive(h, 'b', 1);
  alive(h, 'b', 5, '10.0.0.8');
  assert.equal(h.core.node('b')!.addr, '10.0.0.2');
  assert.deepEqual(h.conflicts, ['b 10.0.0.2 vs 10.0.0.8']);
});

test('a push/pull with an incompatible protocol version is refused', () => {
  const h = harness();
  const err = h.core.mergeRemoteState(
    0,
    true,
    [
      {
        name: 'old',
        addr: ipToBytes('10.0.0.5'),
        port: 7946,
        meta: null,
        incarnation: 1,
        state: 0,
        vsn: Uint8Array.from([1, 1, 1, 0, 0, 0]),
      },
    ],
    null,
  );
  assert.equal(err, "Node 'me' protocol version (2) is incompatible: [1, 1]");
  assert.equal(h.core.stateOf('old'), null);
});

test('the merge delegate can cancel a join, and remote dead members only become suspect', () => {
  const refusing = harness({ merge: { notifyMerge: (peers) => `no thanks: ${peers.length}` } });
  const state = {
    name: 'b',
    addr: ipToBytes('10.0.0.2'),
    port: 7946,
    meta: null,
    incarnation: 1,
    state: 0,
    vsn: VSN,
  };
  assert.equal(refusing.core.mergeRemoteState(0, true, [state], null), 'no thanks: 1');
  assert.equal(refusing.core.stateOf('b'), null);

  const h = harness();
  assert.equal(h.core.mergeRemoteState(0, false, [state], null), null);
  assert.equal(h.core.mergeRemoteState(0, false, [{ ...state, state: 2 }], null), null);
  assert.equal(h.core.stateOf('b'), 'suspect');
});

/** The message types in a packet (the parts of a compound, or the one message). */
function partTypes(msg: Uint8Array): number[] {
  if (msg[0] !== MessageType.compound) return [msg[0]];
  return decodeCompound(msg.subarray(1)).parts.map((p) => p[0]);
}

test('an unanswered probe leads to indirect probes, a TCP fallback, then suspicion', () => {
  const h = harness();
  alive(h, 'b', 1);
  alive(h, 'c', 1, '10.0.0.3');
  h.core.takeCommands();
  // Run until a probe goes out, then let it time out without any answer.
  let t = 0;
  let probe: { target: string } | null = null;
  while (probe === null && t < 5_000) {
    t += 10;
    h.core.tick(t);
    for (const c of h.core.takeCommands()) {
      if (c.kind === 'packet' && partTypes(c.msg).includes(MessageType.ping)) {
        probe = { target: c.to.name };
      }
    }
  }
  assert.ok(probe !== null);
  const target = probe.target;
  h.core.tick(t + 500);
  const cmds = h.core.takeCommands();
  const indirect = cmds.filter(
    (c) => c.kind === 'packet' && c.msg.includes(MessageType.indirectPing),
  );
  const fallback = cmds.find((c) => c.kind === 'fallbackPing');
  assert.ok(indirect.length >= 1);
  assert.ok(fallback !== undefined && fallback.kind === 'fallbackPing');
  h.core.fallbackPingResult(t + 600, fallback.seqNo, false);
  h.core.tick(t + 1_000);
  assert.equal(h.core.stateOf(target), 'suspect');
  // One helper asked for a nack that never came: awareness grows.
  assert.ok(h.core.healthScore() >= 1);
});
