// The servers of this datacenter as gossip sees them: what bootstrap_expect counts and what
// autopilot adds to and removes from the Raft configuration. The LAN pool fills it from member
// tags (role=consul, id, port, expect, bootstrap, read_replica, dc).
import type { NodeId } from '../raft';

export type ServerStatus = 'alive' | 'leaving' | 'left' | 'failed';

export interface KnownServer {
  id: NodeId;
  /** Node name. */
  name: string;
  /** host:port of its server port (RPC and Raft). */
  address: string;
  datacenter: string;
  status: ServerStatus;
  /** Its bootstrap_expect (0 when unset). */
  expect: number;
  /** Started with -bootstrap. */
  bootstrap: boolean;
  /** A read replica: never a voter (Consul Enterprise's read_replica, here in the open). */
  readReplica: boolean;
}

export interface ServerDiscovery {
  /** Every server known, in any status. */
  servers(): KnownServer[];
  /** Calls `listener` after any change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
