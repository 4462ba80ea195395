// A member as the core keeps it, the views of it handed to users, and the protocol-version
// check of a push/pull (memberlist's nodeState, Node and verifyProtocol).
import { bytesToIp } from './address';
import { NodeStateCode, stateName, type PushNodeState } from './messages';
import type { NamedBroadcast } from './queue';
import type { MemberlistNode, ProtocolVersions } from './types';

export interface NodeState extends ProtocolVersions {
  name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array | null;
  incarnation: number;
  state: number;
  stateChange: number;
}

export class MemberlistBroadcast implements NamedBroadcast {
  constructor(
    private readonly node: string,
    private readonly msg: Uint8Array,
    private readonly notify: (() => void) | null,
  ) {}
  invalidates(other: unknown): boolean {
    return other instanceof MemberlistBroadcast && other.node === this.node;
  }
  name(): string {
    return this.node;
  }
  message(): Uint8Array {
    return this.msg;
  }
  finished(): void {
    this.notify?.();
  }
}

export const PUSH_PULL_SCALE_THRESHOLD = 32;

/** The push/pull interval grows with the cluster beyond 32 members. */
export function pushPullScale(interval: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return interval;
  const mult = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return mult * interval;
}

export function deadOrLeft(n: NodeState): boolean {
  return n.state === NodeStateCode.dead || n.state === NodeStateCode.left;
}

export function vsnFields(vsn: Uint8Array | null): ProtocolVersions {
  const v = vsn ?? new Uint8Array(0);
  return {
    pMin: v[0] ?? 0,
    pMax: v[1] ?? 0,
    pCur: v[2] ?? 0,
    dMin: v[3] ?? 0,
    dMax: v[4] ?? 0,
    dCur: v[5] ?? 0,
  };
}

export function toNode(n: NodeState): MemberlistNode {
  return {
    name: n.name,
    addr: bytesToIp(n.addr),
    port: n.port,
    meta: n.meta ?? new Uint8Array(0),
    state: stateName(n.state),
    pMin: n.pMin,
    pMax: n.pMax,
    pCur: n.pCur,
    dMin: n.dMin,
    dMax: n.dMax,
    dCur: n.dCur,
  };
}

export function verifyProtocol(local: NodeState[], remote: PushNodeState[]): string | null {
  let maxpmin = 0;
  let minpmax = 255;
  let maxdmin = 0;
  let mindmax = 255;
  for (const r of remote) {
    if (r.state !== NodeStateCode.alive || r.vsn === null || r.vsn.length === 0) continue;
    maxpmin = Math.max(maxpmin, r.vsn[0]);
    minpmax = Math.min(minpmax, r.vsn[1]);
    maxdmin = Math.max(maxdmin, r.vsn[3]);
    mindmax = Math.min(mindmax, r.vsn[4]);
  }
  for (const n of local) {
    if (n.state !== NodeStateCode.alive) continue;
    maxpmin = Math.max(maxpmin, n.pMin);
    minpmax = Math.min(minpmax, n.pMax);
    maxdmin = Math.max(maxdmin, n.dMin);
    mindmax = Math.min(mindmax, n.dMax);
  }
  const check = (name: string, pCur: number, dCur: number): string | null => {
    if (pCur < maxpmin || pCur > minpmax) {
      return `Node '${name}' protocol version (${pCur}) is incompatible: [${maxpmin}, ${minpmax}]`;
    }
    if (dCur < maxdmin || dCur > mindmax) {
      return `Node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxdmin}, ${mindmax}]`;
    }
    return null;
  };
  for (const r of remote) {
    const hasVsn = r.vsn !== null && r.vsn.length > 0;
    const bad = check(r.name, hasVsn ? r.vsn![2] : 0, hasVsn ? r.vsn![5] : 0);
    if (bad !== null) return bad;
  }
  for (const n of local) {
    const bad = check(n.name, n.pCur, n.dCur);
    if (bad !== null) return bad;
  }
  return null;
}
