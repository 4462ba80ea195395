// The host around MemberlistCore: UDP and TCP sockets on one port, the timer that drives the
// core, push/pull and fallback pings over TCP, and the public Memberlist API (memberlist.go).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import {
  createConnection,
  createServer,
  isIP,
  type Server,
  type Socket as TcpSocket,
} from 'node:net';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ipToBytes, joinHostPort, type Address } from './address';
import { validateConfig, type MemberlistConfig } from './config';
import { MemberlistCore, type CoreCommand } from './core';
import { encodeErr, MAX_PUSH_PULL_REQUESTS, MessageType, encodeAck } from './messages';
import { TruncatedError } from './msgpack';
import type { MemberlistNode } from './types';
import { encodePushPull, encodeUserStream, WireCodec, type StreamMessage } from './wire';

const UDP_RECV_BUFFER = 65536;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Go's hashicorp/go-multierror text. */
function multiError(errors: string[]): string {
  const points = errors.map((e) => `\t* ${e}`).join('\n');
  return `${errors.length} error${errors.length === 1 ? '' : 's'} occurred:\n${points}\n\n`;
}

function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a === 100;
}

/** Go's sockaddr GetPrivateIP, roughly: the first private IPv4 of an interface that is up. */
function privateAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && isPrivateIPv4(a.address)) return a.address;
    }
  }
  throw new Error(
    'Failed to get final advertise address: No private IP address found, and explicit IP not provided',
  );
}

export class Memberlist {
  private readonly core: MemberlistCore;
  private readonly codec: WireCodec;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private shut = false;
  private pushPullInFlight = 0;
  private readonly openSockets = new Set<TcpSocket>();
  /** Rejecters of leave/updateNode calls still waiting for their broadcast. */
  private readonly waiting = new Set<(e: Error) => void>();

  private constructor(
    readonly config: MemberlistConfig,
    private readonly udp: Socket,
    private readonly tcp: Server,
    readonly boundPort: number,
    advertiseIp: string,
    advertisePort: number,
  ) {
    this.codec = new WireCodec(config);
    this.core = new MemberlistCore({
      config,
      random: Math.random,
      now: this.clock(),
      advertiseIp: ipToBytes(advertiseIp),
      advertisePort,
    });
    udp.on('message', (msg, rinfo) => this.onPacket(msg, rinfo));
    udp.on('error', (e) => config.logger.error(`memberlist: UDP error: ${errText(e)}`));
    tcp.on('connection', (s) => this.onStream(s));
    tcp.on('error', (e) => config.logger.error(`memberlist: TCP listener error: ${errText(e)}`));
  }

  /** Binds UDP and TCP on one port, announces ourselves and starts the protocol loops. */
  static async create(config: MemberlistConfig): Promise<Memberlist> {
    validateConfig(config);
    const { udp, tcp, port } = await bind(config.bindAddr, config.bindPort);
    if (config.bindPort === 0) {
      config.bindPort = port;
      if (config.advertiseAddr === '') config.advertisePort = port;
    }
    let advertiseIp = config.advertiseAddr;
    let advertisePort = config.advertisePort === 0 ? port : config.advertisePort;
    if (advertiseIp === '') {
      advertisePort = port;
      advertiseIp =
        config.bindAddr === '0.0.0.0' || config.bindAddr === '::'
          ? privateAddress()
          : config.bindAddr;
    }
    if (isIP(advertiseIp) === 0) {
      udp.close();
      tcp.close();
      throw new Error(`Failed to parse advertise address "${advertiseIp}"`);
    }
    const m = new Memberlist(config, udp, tcp, port, advertiseIp, advertisePort);
    m.core.start(m.clock());
    m.pump();
    return m;
  }

  // ---- public API ------------------------------------------------------------------------

  /** Joins through each address ('host', 'host:port' or 'name/host:port'); resolves to the count. */
  async join(addrs: string[]): Promise<number> {
    let ok = 0;
    const errors: string[] = [];
    for (const existing of addrs) {
      let targets: Address[];
      try {
        targets = await this.resolveAddr(existing);
      } catch (e) {
        const text = `Failed to resolve ${existing}: ${errText(e)}`;
        this.config.logger.warn(`memberlist: ${text}`);
        errors.push(text);
        continue;
      }
      for (const a of targets) {
        try {
          await this.pushPullNode(a, true);
          ok++;
        } catch (e) {
          const text = `Failed to join ${a.ip}: ${errText(e)}`;
          this.config.logger.debug(`memberlist: ${text}`);
          errors.push(text);
        }
      }
    }
    if (ok === 0 && errors.length > 0) throw new Error(multiError(errors));
    return ok;
  }

  /** Broadcasts our leave and waits until it was sent (or the timeout, 0 = no timeout). */
  leave(timeoutMs: number): Promise<void> {
    if (this.shut) return Promise.reject(new Error('leave after shutdown'));
    return this.waitFor(
      (done) => this.core.leave(this.clock(), done),
      timeoutMs,
      'timeout waiting for leave broadcast',
    );
  }

  /** Re-reads the delegate's meta and gossips it; waits until sent (or the timeout). */
  updateNode(timeoutMs: number): Promise<void> {
    return this.waitFor(
      (done) => this.core.updateNode(this.clock(), done),
      timeoutMs,
      'timeout waiting for update broadcast',
    );
  }

  async shutdown(): Promise<void> {
    if (this.shut) return;
    this.shut = true;
    this.core.stop();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.openSockets) s.destroy();
    for (const reject of this.waiting) reject(new Error('memberlist was shut down'));
    this.waiting.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
      new Promise<void>((resolve) => {
        try {
          this.udp.close(() => resolve());
        } catch {
          resolve();
        }
      }),
    ]);
  }

  members(): MemberlistNode[] {
    return this.core.members();
  }

  numMembers(): number {
    return this.core.numMembers();
  }

  localNode(): MemberlistNode {
    return this.core.localNode();
  }

  getHealthScore(): number {
    return this.core.healthScore();
  }

  protocolVersion(): number {
    return this.config.protocolVersion;
  }

  /** Best-effort user message over UDP (no piggybacking). */
  sendBestEffort(node: MemberlistNode, msg: Uint8Array): void {
    this.core.sendUser({ ip: node.addr, port: node.port, name: node.name }, node.pMax, msg);
    this.pump();
  }

  /** A user message by UDP to a bare address (serf's relays). */
  sendToAddress(ip: string, port: number, msg: Uint8Array): void {
    this.core.sendUser({ ip, port, name: '' }, 0, msg);
    this.pump();
  }

  /** A user message over TCP; resolves once written. */
  async sendReliable(node: MemberlistNode, msg: Uint8Array): Promise<void> {
    await this.streamRequest(
      { ip: node.addr, port: node.port, name: node.name },
      encodeUserStream(msg),
      this.config.tcpTimeout,
      false,
    );
  }

  /** The state a node is in from our point of view (null when unknown). */
  stateOf(name: string): MemberlistNode['state'] | null {
    return this.core.stateOf(name);
  }

  /** Every node we know, including failed and left ones (members() lists only the live). */
  allNodes(): MemberlistNode[] {
    return this.core.allNodes();
  }

  // ---- driving the core ------------------------------------------------------------------

  private clock(): number {
    return performance.now();
  }

  private waitFor(
    start: (done: () => void) => void,
    timeoutMs: number,
    timeoutText: string,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let t: NodeJS.Timeout | null = null;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        if (t !== null) clearTimeout(t);
        this.waiting.delete(fail);
        reject(e);
      };
      const done = (): void => {
        if (settled) return;
        settled = true;
        if (t !== null) clearTimeout(t);
        this.waiting.delete(fail);
        resolve();
      };
      start(done);
      this.pump();
      if (settled) return;
      this.waiting.add(fail);
      if (timeoutMs > 0) t = setTimeout(() => fail(new Error(timeoutText)), timeoutMs);
    });
  }

  /** Executes what the core asked for and re-arms the timer for its next deadline. */
  private pump(): void {
    if (this.shut) return;
    for (const cmd of this.core.takeCommands()) this.execute(cmd);
    const next = this.core.nextDeadline();
    if (next === null) return;
    if (this.timer !== null && next >= this.timerAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.core.tick(this.clock());
        this.pump();
      },
      Math.max(0, Math.ceil(next - this.clock())),
    );
  }

  private execute(cmd: CoreCommand): void {
    switch (cmd.kind) {
      case 'packet':
        this.sendPacket(cmd.to, cmd.pMax, cmd.msg);
        return;
      case 'pushPull':
        this.pushPullNode(cmd.to, false).catch((e) =>
          this.config.logger.error(
            `memberlist: Push/Pull with ${cmd.to.name} failed: ${errText(e)}`,
          ),
        );
        return;
      case 'fallbackPing':
        this.fallbackPing(cmd.to, cmd.seqNo, cmd.msg, cmd.deadline);
        return;
    }
  }

  private sendPacket(to: Address, pMax: number, msg: Uint8Array): void {
    if (isIP(to.ip) === 0) {
      this.config.logger.error(
        `memberlist: Failed to send packet: bad address ${to.ip} for ${to.name}`,
      );
      return;
    }
    let out: Uint8Array;
    try {
      out = this.codec.encodePacket(msg, pMax);
    } catch (e) {
      this.config.logger.error(`memberlist: Failed to encode packet: ${errText(e)}`);
      return;
    }
    this.udp.send(out, to.port, to.ip, (e) => {
      if (e !== null && e !== undefined && !this.shut) {
        this.config.logger.debug(
          `memberlist: Failed to send packet to ${joinHostPort(to.ip, to.port)}: ${errText(e)}`,
        );
      }
    });
  }

  private onPacket(buf: Buffer, rinfo: RemoteInfo): void {
    if (this.shut) return;
    const from: Address = { ip: rinfo.address, port: rinfo.port, name: '' };
    let plain: Uint8Array;
    try {
      plain = this.codec.decodePacket(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    } catch (e) {
      this.core.badInput(from, errText(e));
      return;
    }
    this.core.handlePacket(this.clock(), plain, from);
    this.pump();
  }

  private fallbackPing(to: Address, seqNo: number, ping: Uint8Array, deadline: number): void {
    const timeout = Math.max(1, deadline - this.clock());
    this.streamRequest(to, ping, timeout, true)
      .then((reply) => {
        if (reply?.type !== 'ack') throw new Error(`Unexpected msgType (${reply?.type}) from ping`);
        if (reply.ack.seqNo !== seqNo) {
          throw new Error(
            `Sequence number from ack (${reply.ack.seqNo}) doesn't match ping (${seqNo})`,
          );
        }
        return true;
      })
      .catch((e: unknown) => {
        if (!(e instanceof ConnectError)) {
          this.config.logger.error(`memberlist: Failed fallback ping: ${errText(e)}`);
        }
        return false;
      })
      .then((ok) => {
        if (this.shut) return;
        this.core.fallbackPingResult(this.clock(), seqNo, ok);
        this.pump();
      });
  }

  private async pushPullNode(to: Address, join: boolean): Promise<void> {
    const local = this.core.localState(join);
    const reply = await this.streamRequest(
      to,
      encodePushPull(join, local.nodes, local.userState),
      this.config.tcpTimeout,
      true,
    );
    if (reply === null) throw new Error('connection closed');
    if (reply.type === 'err') throw new Error(`remote error: ${reply.error}`);
    if (reply.type !== 'pushPull') {
      throw new Error(
        `received invalid msgType (${reply.type}), expected pushPullMsg (${MessageType.pushPull})`,
      );
    }
    if (this.shut) return;
    const err = this.core.mergeRemoteState(this.clock(), join, reply.nodes, reply.userState);
    this.pump();
    if (err !== null) throw new Error(err);
  }

  private async resolveAddr(hostStr: string): Promise<Address[]> {
    let name = '';
    let rest = hostStr;
    const slash = hostStr.indexOf('/');
    if (slash >= 0) {
      if (slash === 0) throw new Error('empty node name provided');
      name = hostStr.slice(0, slash);
      rest = hostStr.slice(slash + 1);
    }
    let host = rest;
    let port = this.config.bindPort;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
    if (bracket !== null) {
      host = bracket[1];
      if (bracket[2] !== undefined) port = Number(bracket[2]);
    } else if ((rest.match(/:/g) ?? []).length === 1) {
      const i = rest.lastIndexOf(':');
      host = rest.slice(0, i);
      port = Number(rest.slice(i + 1));
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`invalid port in address ${hostStr}`);
    }
    if (isIP(host) !== 0) return [{ ip: host, port, name }];
    const ips = await lookup(host, { all: true });
    return ips.map((r) => ({ ip: r.address, port, name }));
  }

  // ---- TCP -------------------------------------------------------------------------------

  /** Dials, writes one stream message, and reads one reply when asked to. */
  private streamRequest(
    to: Address,
    plain: Uint8Array,
    timeoutMs: number,
    expectReply: boolean,
  ): Promise<StreamMessage | null> {
    return new Promise((resolve, reject) => {
      let connected = false;
      let settled = false;
      let received: Buffer = Buffer.alloc(0);
      // Dial from our bind address when it is a specific one of the same family, so that the
      // peer sees the same source address for our packets and our streams.
      const bindFamily = isIP(this.config.bindAddr);
      const specific = this.config.bindAddr !== '0.0.0.0' && this.config.bindAddr !== '::';
      const sock = createConnection({
        host: to.ip,
        port: to.port,
        ...(specific && bindFamily !== 0 && bindFamily === isIP(to.ip)
          ? { localAddress: this.config.bindAddr }
          : {}),
      });
      this.openSockets.add(sock);
      const finish = (err: Error | null, value: StreamMessage | null = null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.openSockets.delete(sock);
        sock.destroy();
        if (err !== null) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => finish(new Error('i/o timeout')), timeoutMs);
      sock.on('connect', () => {
        connected = true;
        sock.write(this.codec.encodeStream(plain), (e) => {
          if (e) finish(e);
          else if (!expectReply) finish(null);
        });
      });
      sock.on('data', (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        try {
          finish(
            null,
            this.codec.parseStream(
              new Uint8Array(received.buffer, received.byteOffset, received.length),
            ),
          );
        } catch (e) {
          if (!(e instanceof TruncatedError)) finish(e instanceof Error ? e : new Error(String(e)));
        }
      });
      sock.on('error', (e) => finish(connected ? e : new ConnectError(e.message)));
      sock.on('close', () => finish(new Error('EOF')));
    });
  }

  private onStream(sock: TcpSocket): void {
    if (this.shut) {
      sock.destroy();
      return;
    }
    this.openSockets.add(sock);
    const from: Address = { ip: sock.remoteAddress ?? '?', port: sock.remotePort ?? 0, name: '' };
    let received: Buffer = Buffer.alloc(0);
    let handled = false;
    sock.setTimeout(this.config.tcpTimeout, () => sock.destroy());
    sock.on('close', () => this.openSockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      if (handled) return;
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      let msg: StreamMessage;
      try {
        msg = this.codec.parseStream(
          new Uint8Array(received.buffer, received.byteOffset, received.length),
        );
      } catch (e) {
        if (e instanceof TruncatedError) return;
        handled = true;
        this.core.badInput(from, `failed to receive: ${errText(e)}`);
        sock.end(this.codec.encodeStream(encodeErr(errText(e))));
        return;
      }
      handled = true;
      this.handleStream(sock, msg, from);
    });
  }

  private handleStream(sock: TcpSocket, msg: StreamMessage, from: Address): void {
    switch (msg.type) {
      case 'user':
        if (msg.msg.length > 0) this.config.delegate?.notifyMsg(msg.msg);
        sock.end();
        return;
      case 'pushPull': {
        if (this.pushPullInFlight + 1 >= MAX_PUSH_PULL_REQUESTS) {
          this.config.logger.error('memberlist: Too many pending push/pull requests');
          sock.destroy();
          return;
        }
        this.pushPullInFlight++;
        sock.once('close', () => this.pushPullInFlight--);
        const local = this.core.localState(msg.join);
        sock.end(this.codec.encodeStream(encodePushPull(msg.join, local.nodes, local.userState)));
        const err = this.core.mergeRemoteState(this.clock(), msg.join, msg.nodes, msg.userState);
        if (err !== null) {
          this.config.logger.error(
            `memberlist: Failed push/pull merge: ${err} from=${joinHostPort(from.ip, from.port)}`,
          );
        }
        this.pump();
        return;
      }
      case 'ping':
        if (msg.ping.node !== '' && msg.ping.node !== this.config.name) {
          this.config.logger.warn(`memberlist: Got ping for unexpected node ${msg.ping.node}`);
          sock.destroy();
          return;
        }
        sock.end(this.codec.encodeStream(encodeAck({ seqNo: msg.ping.seqNo, payload: null })));
        return;
      default:
        this.core.badInput(
          from,
          `Received invalid msgType (${msg.type === 'unknown' ? msg.code : msg.type})`,
        );
        sock.destroy();
    }
  }
}

class ConnectError extends Error {}

async function bind(
  addr: string,
  port: number,
): Promise<{ udp: Socket; tcp: Server; port: number }> {
  // With port 0 the TCP listener picks the port and UDP must get the same one; retry if taken.
  for (let attempt = 0; ; attempt++) {
    const tcp = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: addr, port, exclusive: true }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const info = tcp.address();
    const bound = typeof info === 'object' && info !== null ? info.port : port;
    const udp = createSocket({
      type: isIP(addr) === 6 ? 'udp6' : 'udp4',
      recvBufferSize: UDP_RECV_BUFFER,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: addr, port: bound, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: bound };
    } catch (e) {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      if (port !== 0 || attempt >= 10) {
        throw new Error(`Failed to start UDP listener on "${addr}" port ${bound}: ${errText(e)}`);
      }
    }
  }
}
