// What memberlist shows its users: nodes and the delegate interfaces (Go's delegate.go and
// friends). Delegates are called synchronously from the protocol core.
import type { NodeStateName } from './messages';

export type MemberState = NodeStateName;

/** The Vsn array: memberlist (p) and delegate (d) protocol min, max and current. */
export interface ProtocolVersions {
  pMin: number;
  pMax: number;
  pCur: number;
  dMin: number;
  dMax: number;
  dCur: number;
}

export interface MemberlistNode extends ProtocolVersions {
  name: string;
  /** IP address as text (IPv4 dotted or IPv6). */
  addr: string;
  port: number;
  meta: Uint8Array;
  state: MemberState;
}

/** The user of memberlist (serf): metadata, user messages and the push/pull user state. */
export interface Delegate {
  nodeMeta(limit: number): Uint8Array;
  notifyMsg(msg: Uint8Array): void;
  getBroadcasts(overhead: number, limit: number): Uint8Array[];
  localState(join: boolean): Uint8Array;
  mergeRemoteState(buf: Uint8Array, join: boolean): void;
}

export interface EventDelegate {
  notifyJoin(node: MemberlistNode): void;
  notifyLeave(node: MemberlistNode): void;
  notifyUpdate(node: MemberlistNode): void;
}

export interface MergeDelegate {
  /** Returns an error text to cancel the merge (the join fails with it). */
  notifyMerge(peers: MemberlistNode[]): string | null;
}

export interface ConflictDelegate {
  notifyConflict(existing: MemberlistNode, other: MemberlistNode): void;
}

export interface AliveDelegate {
  /** Returns an error text to ignore the alive message. */
  notifyAlive(peer: MemberlistNode): string | null;
}

export interface PingDelegate {
  ackPayload(): Uint8Array;
  notifyPingComplete(other: MemberlistNode, rttMs: number, payload: Uint8Array): void;
}
