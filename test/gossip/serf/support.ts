// Helpers for the serf tests: our nodes on 127.0.0.x with fast timers, and waiting for conditions.
import pino from 'pino';
import { localConfig, Keyring } from '../../../src/gossip/memberlist';
import { Serf, type SerfConfig, type SerfEvent, type SerfMember } from '../../../src/gossip/serf';

export interface NodeOptions {
  keys?: Uint8Array[];
  snapshotPath?: string;
  keyringFile?: string;
  tags?: Record<string, string>;
  rejoinAfterLeave?: boolean;
  port?: number;
}

/** A Serf on `ip` with timers a few times faster than LAN's, so failures show within seconds. */
export async function startNode(name: string, ip: string, opts: NodeOptions = {}): Promise<Serf> {
  const ml = localConfig();
  ml.bindAddr = ip;
  ml.bindPort = opts.port ?? 0;
  ml.advertiseAddr = '';
  ml.probeInterval = 200;
  ml.probeTimeout = 100;
  ml.gossipInterval = 100;
  ml.suspicionMult = 2;
  ml.pushPullInterval = 2000;
  ml.gossipToTheDeadTime = 3000;
  // LAN's 4, not the local profile's 2: with 2, a query misses a node of a small pool ~1 time in 9.
  ml.retransmitMult = 4;
  if (opts.keys && opts.keys.length > 0)
    ml.keyring = Keyring.create(opts.keys.slice(1), opts.keys[0]);
  const config: SerfConfig = {
    nodeName: name,
    tags: opts.tags ?? { role: 'test' },
    memberlist: ml,
    rejoinAfterLeave: opts.rejoinAfterLeave ?? false,
    reconnectTimeoutMs: 60_000,
    tombstoneTimeoutMs: 60_000,
    eventBuffer: 512,
    userEventSizeLimit: 512,
    logger: pino({ level: process.env.SERF_TEST_LOG ?? 'silent' }),
    leavePropagateDelayMs: 100,
    broadcastTimeoutMs: 2000,
    reapIntervalMs: 500,
    ...(opts.snapshotPath ? { snapshotPath: opts.snapshotPath } : {}),
    ...(opts.keyringFile ? { keyringFile: opts.keyringFile } : {}),
  };
  return Serf.create(config);
}

export function addressOf(s: Serf): string {
  const n = s.memberlist.localNode();
  return `${n.addr}:${n.port}`;
}

/** Polls `cond` every 20 ms until true, failing with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function statusOf(s: Serf, name: string): SerfMember['status'] | undefined {
  return s.members().find((m) => m.name === name)?.status;
}

/** Records every event a node delivers. */
export function recordEvents(s: Serf): SerfEvent[] {
  const events: SerfEvent[] = [];
  s.onEvent((e) => events.push(e));
  return events;
}
