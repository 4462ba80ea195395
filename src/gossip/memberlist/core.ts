// SWIM with Lifeguard (memberlist's state.go and net.go) as a deterministic state machine:
// inputs are decoded packets, push/pull results, fallback-ping results, user calls and the
// current time; outputs are commands (packets to send, TCP work for the host) drained with
// takeCommands(), plus synchronous delegate calls. No sockets, no clock, randomness injected.
import { bytesToIp, joinHostPort, sameBytes, type Address } from './address';
import {
  buildVsnArray,
  encryptionEnabled,
  encryptionVersion,
  type MemberlistConfig,
} from './config';
import { lzwDecompress } from './lzw';
import {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_OVERHEAD,
  decodeAck,
  decodeAlive,
  decodeCompound,
  decodeDead,
  decodeIndirectPing,
  decodeNack,
  decodePing,
  decodeSuspect,
  encodeAck,
  encodeAlive,
  encodeDead,
  encodeIndirectPing,
  encodeNack,
  encodePing,
  encodeSuspect,
  makeCompound,
  META_MAX_SIZE,
  MessageType,
  NodeStateCode,
  stateName,
  USER_MSG_OVERHEAD,
  type Alive,
  type Dead,
  type PushNodeState,
  type Suspect,
} from './messages';
import { asStruct, decode, fieldBytes, fieldUint, MsgpackError } from './msgpack';
import { encryptOverhead } from './security';
import { TransmitLimitedQueue } from './queue';
import {
  deadOrLeft,
  MemberlistBroadcast,
  pushPullScale,
  toNode,
  verifyProtocol,
  vsnFields,
  type NodeState,
} from './node-state';
import { TimerSet, type Timer } from './timers';
import { Suspicion, suspicionTimeout } from './suspicion';
import type { MemberlistNode } from './types';

export type CoreCommand =
  /** Send one UDP packet (plaintext; the host compresses, adds a CRC when pMax ≥ 5, seals). */
  | { kind: 'packet'; to: Address; pMax: number; msg: Uint8Array }
  /** Run a periodic (non-join) push/pull with this node over TCP. */
  | { kind: 'pushPull'; to: Address }
  /** TCP fallback ping; report with fallbackPingResult(seqNo, ok) by the deadline. */
  | { kind: 'fallbackPing'; to: Address; seqNo: number; msg: Uint8Array; deadline: number };

interface AckHandler {
  onAck: (payload: Uint8Array | null) => void;
  onNack: (() => void) | null;
  expiry: Timer;
}

interface Probe {
  seqNo: number;
  node: NodeState;
  sent: number;
  deadline: number;
  indirect: boolean;
  nacks: number;
  expectedNacks: number;
  fallback: 'none' | 'pending' | 'ok' | 'failed';
  ended: boolean;
  done: boolean;
  timers: Timer[];
}

export interface CoreOptions {
  config: MemberlistConfig;
  /** Uniform in [0, 1). */
  random: () => number;
  now: number;
  advertiseIp: Uint8Array;
  advertisePort: number;
}

export class MemberlistCore {
  readonly config: MemberlistConfig;
  private readonly random: () => number;
  private now: number;
  private nodes: NodeState[] = [];
  private readonly nodeMap = new Map<string, NodeState>();
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly ackHandlers = new Map<number, AckHandler>();
  private timers = new TimerSet();
  private commands: CoreCommand[] = [];
  private seqNo = 0;
  private incarnation = 0;
  private awareness = 0;
  private probeIndex = 0;
  private probe: Probe | null = null;
  private probePending = false;
  private left = false;
  private stopped = false;
  private readonly badInputLogged = new Map<string, number>();
  readonly broadcasts: TransmitLimitedQueue;
  advertiseIp: Uint8Array;
  advertisePort: number;

  constructor(opts: CoreOptions) {
    this.config = opts.config;
    this.random = opts.random;
    this.now = opts.now;
    this.advertiseIp = opts.advertiseIp;
    this.advertisePort = opts.advertisePort;
    this.broadcasts = new TransmitLimitedQueue(() => this.nodes.length, opts.config.retransmitMult);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Announces ourselves (setAlive) and starts the probe, gossip and push/pull loops. */
  start(now: number): void {
    this.now = now;
    const meta = this.delegateMeta();
    this.aliveNode(
      {
        incarnation: this.nextIncarnation(),
        node: this.config.name,
        addr: this.advertiseIp,
        port: this.advertisePort,
        meta,
        vsn: buildVsnArray(this.config),
      },
      null,
      true,
    );
    const c = this.config;
    if (c.probeInterval > 0) this.every(c.probeInterval, () => this.probeTick());
    if (c.gossipInterval > 0 && c.gossipNodes > 0)
      this.every(c.gossipInterval, () => this.gossip());
    if (c.pushPullInterval > 0) {
      const loop = (): void => {
        this.pushPull();
        this.after(pushPullScale(c.pushPullInterval, this.nodes.length), loop);
      };
      this.after(this.random() * c.pushPullInterval, loop);
    }
  }

  /** Stops every loop and timer (Shutdown). */
  stop(): void {
    this.stopped = true;
    this.timers.clear();
    this.ackHandlers.clear();
    this.suspicions.clear();
  }

  // ---- time ------------------------------------------------------------------------------

  tick(now: number): void {
    this.now = now;
    for (;;) {
      if (this.stopped) return;
      const t = this.timers.takeDue(now);
      if (t === null) return;
      t.fire();
    }
  }

  nextDeadline(): number | null {
    return this.timers.nextDeadline();
  }

  private after(delay: number, fire: () => void): Timer {
    return this.timers.add(this.now + delay, fire);
  }

  /** A ticker: first fire after a random stagger up to one interval, as memberlist does. */
  private every(interval: number, fire: () => void): void {
    const loop = (): void => {
      this.after(interval, loop);
      fire();
    };
    this.after(this.random() * interval, loop);
  }

  private cancel(t: Timer): void {
    this.timers.cancel(t);
  }

  takeCommands(): CoreCommand[] {
    const out = this.commands;
    this.commands = [];
    return out;
  }

  // ---- queries ---------------------------------------------------------------------------

  members(): MemberlistNode[] {
    return this.nodes.filter((n) => !deadOrLeft(n)).map(toNode);
  }

  /** Every known node including dead and left ones (for tests and the simulator's checker). */
  allNodes(): MemberlistNode[] {
    return this.nodes.map(toNode);
  }

  numMembers(): number {
    return this.nodes.filter((n) => !deadOrLeft(n)).length;
  }

  localNode(): MemberlistNode {
    const me = this.nodeMap.get(this.config.name);
    if (me === undefined) throw new Error('memberlist: local node is not in the node map');
    return toNode(me);
  }

  node(name: string): MemberlistNode | null {
    const n = this.nodeMap.get(name);
    return n === undefined ? null : toNode(n);
  }

  /** The state we hold for a node, or null when we do not know it. */
  stateOf(name: string): MemberlistNode['state'] | null {
    const n = this.nodeMap.get(name);
    return n === undefined ? null : stateName(n.state);
  }

  healthScore(): number {
    return this.awareness;
  }

  hasLeft(): boolean {
    return this.left;
  }

  estNumNodes(): number {
    return this.nodes.length;
  }

  incarnationOf(name: string): number {
    return this.nodeMap.get(name)?.incarnation ?? 0;
  }

  // ---- user calls ------------------------------------------------------------------------

  /** Broadcasts our leave; `done` runs once it has been sent (now if nobody is alive). */
  leave(now: number, done: () => void): void {
    this.now = now;
    if (this.left) return done();
    this.left = true;
    const me = this.nodeMap.get(this.config.name);
    if (me === undefined) return done();
    this.deadNode({ incarnation: me.incarnation, node: me.name, from: me.name }, done);
    if (!this.anyAlive()) done();
  }

  /** Re-reads the delegate's meta and gossips a new alive; `done` runs once sent. */
  updateNode(now: number, done: () => void): void {
    this.now = now;
    const me = this.nodeMap.get(this.config.name);
    if (me === undefined) return done();
    this.aliveNode(
      {
        incarnation: this.nextIncarnation(),
        node: me.name,
        addr: me.addr,
        port: me.port,
        meta: this.delegateMeta(),
        vsn: buildVsnArray(this.config),
      },
      done,
      true,
    );
    if (!this.anyAlive()) done();
  }

  /** A user message by UDP, without piggybacking (SendBestEffort / SendToAddress). */
  sendUser(to: Address, pMax: number, msg: Uint8Array): void {
    const buf = new Uint8Array(msg.length + 1);
    buf[0] = MessageType.user;
    buf.set(msg, 1);
    this.commands.push({ kind: 'packet', to, pMax, msg: buf });
  }

  /** The state we send in a push/pull (both directions). */
  localState(join: boolean): { nodes: PushNodeState[]; userState: Uint8Array | null } {
    const nodes = this.nodes.map((n) => ({
      name: n.name,
      addr: n.addr,
      port: n.port,
      meta: n.meta,
      incarnation: n.incarnation,
      state: n.state,
      vsn: Uint8Array.from([n.pMin, n.pMax, n.pCur, n.dMin, n.dMax, n.dCur]),
    }));
    const userState = this.config.delegate?.localState(join) ?? null;
    return { nodes, userState };
  }

  /** Merges a remote push/pull; returns an error text when refused (versions, merge delegate). */
  mergeRemoteState(
    now: number,
    join: boolean,
    remote: PushNodeState[],
    userState: Uint8Array | null,
  ): string | null {
    this.now = now;
    for (const r of remote) {
      if (r.vsn !== null && r.vsn.length > 0 && r.vsn.length < 6) {
        return `Node '${r.name}' sent a version array of ${r.vsn.length} bytes`;
      }
      if (r.port === 0) r.port = this.config.bindPort;
    }
    const bad = verifyProtocol(this.nodes, remote);
    if (bad !== null) return bad;
    if (join && this.config.merge !== null) {
      const peers = remote.map((r) => ({
        name: r.name,
        addr: bytesToIp(r.addr),
        port: r.port,
        meta: r.meta ?? new Uint8Array(0),
        state: stateName(r.state),
        ...vsnFields(r.vsn),
      }));
      const err = this.config.merge.notifyMerge(peers);
      if (err !== null) return err;
    }
    this.mergeState(remote);
    if (userState !== null && userState.length > 0 && this.config.delegate !== null) {
      this.config.delegate.mergeRemoteState(userState, join);
    }
    return null;
  }

  fallbackPingResult(now: number, seqNo: number, ok: boolean): void {
    this.now = now;
    const p = this.probe;
    if (p === null || p.seqNo !== seqNo || p.done || p.fallback !== 'pending') return;
    p.fallback = ok ? 'ok' : 'failed';
    if (p.ended) this.concludeProbe(p);
  }

  // ---- packets in ------------------------------------------------------------------------

  /** One UDP payload after decryption and CRC check. Bad input is logged (rate-limited). */
  handlePacket(now: number, buf: Uint8Array, from: Address): void {
    this.now = now;
    if (this.stopped) return;
    try {
      this.handleCommand(buf, from, 0);
    } catch (e) {
      this.badInput(from, `Failed to handle packet: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Logs bad input at most once per source per badInputLogInterval. */
  badInput(from: Address, text: string): void {
    const key = from.ip;
    const last = this.badInputLogged.get(key);
    if (last !== undefined && this.now - last < this.config.badInputLogInterval) return;
    this.badInputLogged.set(key, this.now);
    if (this.badInputLogged.size > 4096) this.badInputLogged.clear();
    this.config.logger.warn(`memberlist: ${text} from=${joinHostPort(from.ip, from.port)}`);
  }

  private handleCommand(buf: Uint8Array, from: Address, depth: number): void {
    if (buf.length === 0) throw new MsgpackError('empty message');
    if (depth > 4) throw new MsgpackError('messages nested too deeply');
    const type = buf[0];
    const body = buf.subarray(1);
    switch (type) {
      case MessageType.compound: {
        const { parts, truncated } = decodeCompound(body);
        if (truncated > 0)
          this.badInput(from, `Compound request had ${truncated} truncated messages`);
        for (const part of parts) {
          try {
            this.handleCommand(part, from, depth + 1);
          } catch (e) {
            this.badInput(from, `Failed to handle compound part: ${errText(e)}`);
          }
        }
        return;
      }
      case MessageType.compress: {
        const c = asStruct(decode(body), 'compress');
        if (fieldUint(c, 'Algo') !== 0) {
          throw new MsgpackError(`Cannot decompress unknown algorithm ${fieldUint(c, 'Algo')}`);
        }
        this.handleCommand(
          lzwDecompress(fieldBytes(c, 'Buf') ?? new Uint8Array(0)),
          from,
          depth + 1,
        );
        return;
      }
      case MessageType.ping:
        return this.handlePing(decodePing(body), from);
      case MessageType.indirectPing:
        return this.handleIndirectPing(decodeIndirectPing(body), from);
      case MessageType.ackResp: {
        const ack = decodeAck(body);
        const h = this.ackHandlers.get(ack.seqNo);
        if (h === undefined) return;
        this.ackHandlers.delete(ack.seqNo);
        this.cancel(h.expiry);
        h.onAck(ack.payload);
        return;
      }
      case MessageType.nackResp: {
        const h = this.ackHandlers.get(decodeNack(body));
        h?.onNack?.();
        return;
      }
      case MessageType.alive: {
        const a = decodeAlive(body);
        if (this.config.protocolVersion < 2 || a.port === 0) a.port = this.config.bindPort;
        return this.aliveNode(a, null, false);
      }
      case MessageType.suspect:
        return this.suspectNode(decodeSuspect(body));
      case MessageType.dead:
        return this.deadNode(decodeDead(body), null);
      case MessageType.user:
        this.config.delegate?.notifyMsg(Uint8Array.from(body));
        return;
      default:
        throw new MsgpackError(`msg type (${type}) not supported`);
    }
  }

  private handlePing(p: ReturnType<typeof decodePing>, from: Address): void {
    if (p.node !== '' && p.node !== this.config.name) {
      this.badInput(from, `Got ping for unexpected node '${p.node}'`);
      return;
    }
    const payload = this.config.ping?.ackPayload() ?? null;
    const to =
      p.sourceAddr !== null && p.sourceAddr.length > 0 && p.sourcePort > 0
        ? { ip: bytesToIp(p.sourceAddr), port: p.sourcePort, name: p.sourceNode }
        : { ...from, name: p.sourceNode };
    this.sendMsg(to, encodeAck({ seqNo: p.seqNo, payload }));
  }

  private handleIndirectPing(ind: ReturnType<typeof decodeIndirectPing>, from: Address): void {
    if (this.config.protocolVersion < 2 || ind.port === 0) ind.port = this.config.bindPort;
    const localSeq = this.nextSeqNo();
    const replyTo =
      ind.sourceAddr !== null && ind.sourceAddr.length > 0 && ind.sourcePort > 0
        ? { ip: bytesToIp(ind.sourceAddr), port: ind.sourcePort, name: ind.sourceNode }
        : { ...from, name: ind.sourceNode };
    let acked = false;
    this.setAckHandler(
      localSeq,
      () => {
        acked = true;
        this.sendMsg(replyTo, encodeAck({ seqNo: ind.seqNo, payload: null }));
      },
      null,
      this.config.probeTimeout,
    );
    const ping = encodePing({
      seqNo: localSeq,
      node: ind.node,
      sourceAddr: this.advertiseIp,
      sourcePort: this.advertisePort,
      sourceNode: this.config.name,
    });
    this.sendMsg({ ip: bytesToIp(ind.target), port: ind.port, name: ind.node }, ping);
    if (ind.nack) {
      this.after(this.config.probeTimeout, () => {
        if (!acked) this.sendMsg(replyTo, encodeNack(ind.seqNo));
      });
    }
  }

  private setAckHandler(
    seqNo: number,
    onAck: (payload: Uint8Array | null) => void,
    onNack: (() => void) | null,
    timeout: number,
  ): void {
    const expiry = this.after(timeout, () => this.ackHandlers.delete(seqNo));
    this.ackHandlers.set(seqNo, { onAck, onNack, expiry });
  }

  // ---- sending ---------------------------------------------------------------------------

  private encryptionOverhead(): number {
    const c = this.config;
    return encryptionEnabled(c) && c.gossipVerifyOutgoing
      ? encryptOverhead(encryptionVersion(c))
      : 0;
  }

  /** Sends a message by UDP, piggybacking queued broadcasts (sendMsg). */
  private sendMsg(to: Address, msg: Uint8Array): void {
    const avail =
      this.config.udpBufferSize - msg.length - COMPOUND_HEADER_OVERHEAD - this.encryptionOverhead();
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, avail);
    // memberlist adds a CRC only when it finds the node by the IP text (nodes named by IP).
    const pMax = this.nodeMap.get(to.ip)?.pMax ?? 0;
    const out = extra.length === 0 ? msg : makeCompound([msg, ...extra]);
    this.commands.push({ kind: 'packet', to, pMax, msg: out });
  }

  /** Memberlist's own broadcasts first, then the delegate's, each user one prefixed with 8. */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out = this.broadcasts.getBroadcasts(overhead, limit);
    const d = this.config.delegate;
    if (d !== null) {
      let used = 0;
      for (const m of out) used += m.length + overhead;
      const avail = limit - used;
      if (avail > overhead + USER_MSG_OVERHEAD) {
        for (const m of d.getBroadcasts(overhead + USER_MSG_OVERHEAD, avail)) {
          const buf = new Uint8Array(m.length + 1);
          buf[0] = MessageType.user;
          buf.set(m, 1);
          out.push(buf);
        }
      }
    }
    return out;
  }

  private queueBroadcast(node: string, msg: Uint8Array, notify: (() => void) | null): void {
    this.broadcasts.queueBroadcast(new MemberlistBroadcast(node, msg, notify));
  }

  // ---- probing ---------------------------------------------------------------------------

  private probeTick(): void {
    if (this.probe !== null) {
      this.probePending = true;
      return;
    }
    this.probeNext();
  }

  /** Walks the node list round robin, reshuffling (and dropping long-dead nodes) on wrap. */
  private probeNext(): void {
    let checked = 0;
    for (;;) {
      if (checked >= this.nodes.length) return;
      if (this.probeIndex >= this.nodes.length) {
        this.resetNodes();
        this.probeIndex = 0;
        checked++;
        continue;
      }
      const node = this.nodes[this.probeIndex++];
      if (node.name === this.config.name || deadOrLeft(node)) {
        checked++;
        continue;
      }
      this.probeNode(node);
      return;
    }
  }

  private resetNodes(): void {
    const keep: NodeState[] = [];
    for (const n of this.nodes) {
      if (
        n.state === NodeStateCode.dead &&
        this.now - n.stateChange > this.config.gossipToTheDeadTime
      ) {
        this.nodeMap.delete(n.name);
      } else keep.push(n);
    }
    this.shuffle(keep);
    this.nodes = keep;
  }

  private probeNode(target: NodeState): void {
    const c = this.config;
    const scaled = c.probeInterval * (this.awareness + 1);
    const node = { ...target };
    const seqNo = this.nextSeqNo();
    const pingMsg = encodePing({
      seqNo,
      node: node.name,
      sourceAddr: this.advertiseIp,
      sourcePort: this.advertisePort,
      sourceNode: c.name,
    });
    const p: Probe = {
      seqNo,
      node,
      sent: this.now,
      deadline: this.now + scaled,
      indirect: false,
      nacks: 0,
      expectedNacks: 0,
      fallback: 'none',
      ended: false,
      done: false,
      timers: [],
    };
    this.probe = p;
    this.setAckHandler(
      seqNo,
      (payload) => this.probeAcked(p, payload),
      () => {
        p.nacks++;
      },
      scaled,
    );
    const to = { ip: bytesToIp(node.addr), port: node.port, name: node.name };
    if (node.state === NodeStateCode.alive) this.sendMsg(to, pingMsg);
    else {
      // Suspect or dead: tell it, so that it can refute.
      const sus = encodeSuspect({ incarnation: node.incarnation, node: node.name, from: c.name });
      this.commands.push({
        kind: 'packet',
        to,
        pMax: node.pMax,
        msg: makeCompound([pingMsg, sus]),
      });
    }
    p.timers.push(this.after(c.probeTimeout, () => this.probeTimedOut(p, pingMsg)));
    p.timers.push(this.after(scaled, () => this.probeDeadline(p)));
  }

  private probeAcked(p: Probe, payload: Uint8Array | null): void {
    if (p.done) return;
    if (!p.indirect && this.config.ping !== null) {
      this.config.ping.notifyPingComplete(
        toNode(p.node),
        this.now - p.sent,
        payload ?? new Uint8Array(0),
      );
    }
    this.finishProbe(p, -1);
  }

  private probeTimedOut(p: Probe, pingMsg: Uint8Array): void {
    if (p.done) return;
    const c = this.config;
    p.indirect = true;
    const helpers = this.kRandomNodes(
      c.indirectChecks,
      (n) => n.name === c.name || n.name === p.node.name || n.state !== NodeStateCode.alive,
    );
    for (const peer of helpers) {
      const nack = peer.pMax >= 4;
      if (nack) p.expectedNacks++;
      this.sendMsg(
        { ip: bytesToIp(peer.addr), port: peer.port, name: peer.name },
        encodeIndirectPing({
          seqNo: p.seqNo,
          target: p.node.addr,
          port: p.node.port,
          node: p.node.name,
          nack,
          sourceAddr: this.advertiseIp,
          sourcePort: this.advertisePort,
          sourceNode: c.name,
        }),
      );
    }
    if (!c.disableTcpPings && p.node.pMax >= 3) {
      p.fallback = 'pending';
      this.commands.push({
        kind: 'fallbackPing',
        to: { ip: bytesToIp(p.node.addr), port: p.node.port, name: p.node.name },
        seqNo: p.seqNo,
        msg: pingMsg,
        deadline: p.deadline,
      });
    }
  }

  private probeDeadline(p: Probe): void {
    if (p.done) return;
    p.ended = true;
    if (p.fallback === 'pending') {
      // The host answers by the deadline; do not wait forever if it cannot.
      p.timers.push(
        this.after(this.config.probeTimeout, () => {
          if (p.done) return;
          p.fallback = 'failed';
          this.concludeProbe(p);
        }),
      );
      return;
    }
    this.concludeProbe(p);
  }

  private concludeProbe(p: Probe): void {
    if (p.fallback === 'ok') {
      this.config.logger.warn(
        `memberlist: Was able to connect to ${p.node.name} but other probes failed, network may be misconfigured`,
      );
      this.finishProbe(p, -1);
      return;
    }
    let delta = 1;
    if (p.expectedNacks > 0) delta = Math.max(0, p.expectedNacks - p.nacks);
    this.config.logger.info(`memberlist: Suspect ${p.node.name} has failed, no acks received`);
    this.finishProbe(p, delta);
    this.suspectNode({
      incarnation: p.node.incarnation,
      node: p.node.name,
      from: this.config.name,
    });
  }

  private finishProbe(p: Probe, awarenessDelta: number): void {
    p.done = true;
    for (const t of p.timers) this.cancel(t);
    const h = this.ackHandlers.get(p.seqNo);
    if (h !== undefined) {
      this.cancel(h.expiry);
      this.ackHandlers.delete(p.seqNo);
    }
    this.applyAwareness(awarenessDelta);
    if (this.probe === p) this.probe = null;
    if (this.probePending && !this.stopped) {
      this.probePending = false;
      this.probeNext();
    }
  }

  private applyAwareness(delta: number): void {
    const max = this.config.awarenessMaxMultiplier - 1;
    this.awareness = Math.min(max, Math.max(0, this.awareness + delta));
  }

  // ---- gossip and push/pull --------------------------------------------------------------

  private gossip(): void {
    const c = this.config;
    const targets = this.kRandomNodes(c.gossipNodes, (n) => {
      if (n.name === c.name) return true;
      if (n.state === NodeStateCode.alive || n.state === NodeStateCode.suspect) return false;
      if (n.state === NodeStateCode.dead) return this.now - n.stateChange > c.gossipToTheDeadTime;
      return true;
    });
    const avail = c.udpBufferSize - COMPOUND_HEADER_OVERHEAD - this.encryptionOverhead();
    for (const n of targets) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, avail);
      if (msgs.length === 0) return;
      const to = { ip: bytesToIp(n.addr), port: n.port, name: n.name };
      const msg = msgs.length === 1 ? msgs[0] : makeCompound(msgs);
      this.commands.push({ kind: 'packet', to, pMax: n.pMax, msg });
    }
  }

  private pushPull(): void {
    const c = this.config;
    const [n] = this.kRandomNodes(1, (x) => x.name === c.name || x.state !== NodeStateCode.alive);
    if (n === undefined) return;
    this.commands.push({
      kind: 'pushPull',
      to: { ip: bytesToIp(n.addr), port: n.port, name: n.name },
    });
  }

  private mergeState(remote: PushNodeState[]): void {
    for (const r of remote) {
      switch (r.state) {
        case NodeStateCode.alive:
          this.aliveNode(
            {
              incarnation: r.incarnation,
              node: r.name,
              addr: r.addr,
              port: r.port,
              meta: r.meta,
              vsn: r.vsn,
            },
            null,
            false,
          );
          break;
        case NodeStateCode.left:
          this.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name }, null);
          break;
        case NodeStateCode.dead:
        case NodeStateCode.suspect:
          // A remote "dead" is not trusted directly: it only makes us suspect.
          this.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.config.name });
          break;
      }
    }
  }

  // ---- state transitions (aliveNode / suspectNode / deadNode) ----------------------------

  private aliveNode(a: Alive, notify: (() => void) | null, bootstrap: boolean): void {
    const c = this.config;
    if (this.left && a.node === c.name) return;
    const vsn = a.vsn ?? new Uint8Array(0);
    if (vsn.length >= 3) {
      const [pMin, pMax] = vsn;
      if (pMin === 0 || pMax === 0 || pMin > pMax) {
        c.logger.warn(
          `memberlist: Ignoring an alive message for '${a.node}' because protocol version(s) are wrong`,
        );
        return;
      }
    }
    if (c.alive !== null) {
      if (vsn.length < 6) {
        c.logger.warn(
          `memberlist: ignoring alive message for '${a.node}' because Vsn is not present`,
        );
        return;
      }
      const err = c.alive.notifyAlive({
        name: a.node,
        addr: bytesToIp(a.addr),
        port: a.port,
        meta: a.meta ?? new Uint8Array(0),
        state: 'alive',
        ...vsnFields(vsn),
      });
      if (err !== null) {
        c.logger.warn(`memberlist: ignoring alive message for '${a.node}': ${err}`);
        return;
      }
    }
    let state = this.nodeMap.get(a.node);
    let updatesNode = false;
    const addr = a.addr ?? new Uint8Array(0);
    if (state === undefined) {
      // A new node starts dead with incarnation 0, so an incarnation-0 alive is ignored.
      state = {
        name: a.node,
        addr,
        port: a.port,
        meta: a.meta,
        pMin: 0,
        pMax: 0,
        pCur: 0,
        dMin: 0,
        dMax: 0,
        dCur: 0,
        incarnation: 0,
        state: NodeStateCode.dead,
        stateChange: 0,
      };
      if (vsn.length > 5) Object.assign(state, vsnFields(vsn));
      this.nodeMap.set(a.node, state);
      const n = this.nodes.length;
      const offset = n === 0 ? 0 : Math.floor(this.random() * n);
      this.nodes.push(state);
      [this.nodes[offset], this.nodes[n]] = [this.nodes[n], this.nodes[offset]];
    } else if (!sameBytes(state.addr, addr) || state.port !== a.port) {
      const canReclaim =
        c.deadNodeReclaimTime > 0 && this.now - state.stateChange > c.deadNodeReclaimTime;
      if (
        state.state === NodeStateCode.left ||
        (state.state === NodeStateCode.dead && canReclaim)
      ) {
        c.logger.info(
          `memberlist: Updating address for left or failed node ${state.name} from ${joinHostPort(bytesToIp(state.addr), state.port)} to ${joinHostPort(bytesToIp(addr), a.port)}`,
        );
        updatesNode = true;
      } else {
        c.logger.error(
          `memberlist: Conflicting address for ${state.name}. Mine: ${joinHostPort(bytesToIp(state.addr), state.port)} Theirs: ${joinHostPort(bytesToIp(addr), a.port)} Old state: ${state.state}`,
        );
        c.conflict?.notifyConflict(toNode(state), {
          name: a.node,
          addr: bytesToIp(addr),
          port: a.port,
          meta: a.meta ?? new Uint8Array(0),
          state: 'alive',
          ...vsnFields(vsn),
        });
        return;
      }
    }
    const isLocal = state.name === c.name;
    if (a.incarnation <= state.incarnation && !isLocal && !updatesNode) return;
    if (a.incarnation < state.incarnation && isLocal) return;
    this.suspicions.delete(a.node);
    const oldState = state.state;
    const oldMeta = state.meta;
    if (!bootstrap && isLocal) {
      const mine = Uint8Array.from([
        state.pMin,
        state.pMax,
        state.pCur,
        state.dMin,
        state.dMax,
        state.dCur,
      ]);
      if (
        a.incarnation === state.incarnation &&
        sameBytes(a.meta, state.meta) &&
        sameBytes(vsn, mine)
      ) {
        return;
      }
      this.refute(state, a.incarnation);
      c.logger.warn(`memberlist: Refuting an alive message for '${a.node}'`);
    } else {
      this.queueBroadcast(a.node, encodeAlive(a), notify);
      if (vsn.length > 5) Object.assign(state, vsnFields(vsn));
      state.incarnation = a.incarnation;
      state.meta = a.meta;
      state.addr = addr;
      state.port = a.port;
      if (state.state !== NodeStateCode.alive) {
        state.state = NodeStateCode.alive;
        state.stateChange = this.now;
      }
    }
    if (c.events !== null) {
      if (oldState === NodeStateCode.dead || oldState === NodeStateCode.left) {
        c.events.notifyJoin(toNode(state));
      } else if (!sameBytes(oldMeta, state.meta)) {
        c.events.notifyUpdate(toNode(state));
      }
    }
  }

  private suspectNode(s: Suspect): void {
    const c = this.config;
    const state = this.nodeMap.get(s.node);
    if (state === undefined) return;
    if (s.incarnation < state.incarnation) return;
    const timer = this.suspicions.get(s.node);
    if (timer !== undefined) {
      if (timer.confirm(s.from, this.now)) this.queueBroadcast(s.node, encodeSuspect(s), null);
      return;
    }
    if (state.state !== NodeStateCode.alive) return;
    if (state.name === c.name) {
      this.refute(state, s.incarnation);
      c.logger.warn(`memberlist: Refuting a suspect message (from: ${s.from})`);
      return;
    }
    this.queueBroadcast(s.node, encodeSuspect(s), null);
    state.incarnation = s.incarnation;
    state.state = NodeStateCode.suspect;
    const changeTime = this.now;
    state.stateChange = changeTime;
    const n = this.nodes.length;
    let k = c.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(c.suspicionMult, n, c.probeInterval);
    const max = c.suspicionMaxTimeoutMult * min;
    const suspicion = new Suspicion(s.from, k, min, max, this.now, (confirmations) => {
      const cur = this.nodeMap.get(s.node);
      if (
        cur === undefined ||
        cur.state !== NodeStateCode.suspect ||
        cur.stateChange !== changeTime
      ) {
        return;
      }
      c.logger.info(
        `memberlist: Marking ${cur.name} as failed, suspect timeout reached (${confirmations} peer confirmations)`,
      );
      this.deadNode({ incarnation: cur.incarnation, node: cur.name, from: c.name }, null);
    });
    this.suspicions.set(s.node, suspicion);
    this.scheduleSuspicion(s.node, suspicion);
  }

  private scheduleSuspicion(name: string, s: Suspicion): void {
    const t = this.after(Math.max(0, s.deadline - this.now), () => {
      if (this.suspicions.get(name) !== s) return;
      if (s.deadline > this.now) return this.scheduleSuspicion(name, s);
      this.suspicions.delete(name);
      s.expire();
    });
    s.onReschedule = () => {
      this.cancel(t);
      this.scheduleSuspicion(name, s);
    };
  }

  private deadNode(d: Dead, notify: (() => void) | null): void {
    const c = this.config;
    const state = this.nodeMap.get(d.node);
    if (state === undefined) return;
    if (d.incarnation < state.incarnation) return;
    this.suspicions.delete(d.node);
    if (deadOrLeft(state)) return;
    if (state.name === c.name) {
      if (!this.left) {
        this.refute(state, d.incarnation);
        c.logger.warn(`memberlist: Refuting a dead message (from: ${d.from})`);
        return;
      }
      this.queueBroadcast(d.node, encodeDead(d), notify);
    } else {
      this.queueBroadcast(d.node, encodeDead(d), null);
    }
    state.incarnation = d.incarnation;
    state.state = d.node === d.from ? NodeStateCode.left : NodeStateCode.dead;
    state.stateChange = this.now;
    c.events?.notifyLeave(toNode(state));
  }

  private refute(me: NodeState, accusedInc: number): void {
    let inc = this.nextIncarnation();
    if (accusedInc >= inc) {
      this.incarnation = accusedInc + 1;
      inc = this.incarnation;
    }
    me.incarnation = inc;
    this.applyAwareness(1);
    const a: Alive = {
      incarnation: inc,
      node: me.name,
      addr: me.addr,
      port: me.port,
      meta: me.meta,
      vsn: Uint8Array.from([me.pMin, me.pMax, me.pCur, me.dMin, me.dMax, me.dCur]),
    };
    this.queueBroadcast(me.name, encodeAlive(a), null);
  }

  // ---- helpers ---------------------------------------------------------------------------

  private delegateMeta(): Uint8Array | null {
    const d = this.config.delegate;
    if (d === null) return null;
    const meta = d.nodeMeta(META_MAX_SIZE);
    if (meta.length > META_MAX_SIZE) {
      throw new Error('Node meta data provided is longer than the limit');
    }
    return meta;
  }

  private anyAlive(): boolean {
    return this.nodes.some((n) => !deadOrLeft(n) && n.name !== this.config.name);
  }

  private nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  private nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  private kRandomNodes(k: number, exclude: (n: NodeState) => boolean): NodeState[] {
    const n = this.nodes.length;
    const out: NodeState[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = this.nodes[Math.floor(this.random() * n)];
      if (exclude(node) || out.includes(node)) continue;
      out.push(node);
    }
    return out;
  }

  private shuffle<T>(a: T[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
