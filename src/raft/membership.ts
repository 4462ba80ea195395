// Membership change entries: each carries the whole resulting configuration, so a server needs
// nothing but the entry to know the membership in effect (hashicorp/raft does the same).
import {
  EntryType,
  type HardState,
  type LogEntry,
  type Membership,
  type NodeId,
  type ServerInfo,
} from './types';

export type MembershipOp = 'add-voter' | 'add-non-voter' | 'promote' | 'remove';

/** The payload of an EntryType.Membership entry. */
export interface MembershipChange {
  op: MembershipOp;
  server: ServerInfo;
  /** The configuration in effect once this entry is appended. */
  membership: Membership;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMembershipChange(change: MembershipChange): Uint8Array {
  return encoder.encode(JSON.stringify(change));
}

export function decodeMembershipChange(data: Uint8Array): MembershipChange {
  const change = JSON.parse(decoder.decode(data)) as MembershipChange;
  if (!Array.isArray(change?.membership?.servers)) {
    throw new Error(`membership entry without servers: ${decoder.decode(data)}`);
  }
  return change;
}

export function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.servers.some((s) => s.id === id && s.voter);
}

export function findServer(membership: Membership, id: NodeId): ServerInfo | undefined {
  return membership.servers.find((s) => s.id === id);
}

/** Applies one single-server change; throws with the offending id when it makes no sense. */
export function changeMembership(
  current: Membership,
  op: MembershipOp,
  server: { id: NodeId; address?: string },
): MembershipChange {
  const existing = findServer(current, server.id);
  const others = current.servers.filter((s) => s.id !== server.id);
  let next: ServerInfo;
  switch (op) {
    case 'add-voter':
    case 'add-non-voter':
      if (existing?.voter) throw new Error(`server ${server.id} is already a voter`);
      if (existing && op === 'add-non-voter') {
        throw new Error(`server ${server.id} is already a non-voter`);
      }
      next = {
        id: server.id,
        address: server.address ?? existing?.address ?? '',
        voter: op === 'add-voter',
      };
      return { op, server: next, membership: { servers: [...others, next] } };
    case 'promote':
      if (!existing) throw new Error(`server ${server.id} is not a member`);
      if (existing.voter) throw new Error(`server ${server.id} is already a voter`);
      next = { ...existing, voter: true };
      return { op, server: next, membership: { servers: [...others, next] } };
    case 'remove':
      if (!existing) throw new Error(`server ${server.id} is not a member`);
      if (existing.voter && others.every((s) => !s.voter)) {
        throw new Error(`cannot remove ${server.id}: it is the last voter`);
      }
      return { op, server: existing, membership: { servers: others } };
  }
}

/**
 * What a server bootstrapped with `membership` writes before its first start: the configuration
 * as entry 1 of term 1, identical on every bootstrapped server (hashicorp's BootstrapCluster).
 */
export function bootstrapState(membership: Membership): { entry: LogEntry; hardState: HardState } {
  if (!membership.servers.some((s) => s.voter))
    throw new Error('bootstrap membership has no voter');
  const change: MembershipChange = { op: 'add-voter', server: membership.servers[0], membership };
  return {
    entry: { index: 1, term: 1, type: EntryType.Membership, data: encodeMembershipChange(change) },
    hardState: { term: 1, votedFor: null, commit: 0 },
  };
}
