// How a RaftNode reaches its peers. Implementations frame RaftMessage (msgpack over TCP for
// servers; in-process for tests). Delivery is best effort: Raft tolerates loss and reordering.
import type { RaftMessage } from '../messages';
import type { ServerInfo } from '../types';

export interface Transport {
  /** Starts listening; every message received for this server goes to `handler`. */
  start(handler: (msg: RaftMessage) => void): Promise<void>;
  /** Queues `msg` for `to`; never throws on an unreachable peer (the message is dropped). */
  send(to: ServerInfo, msg: RaftMessage): void;
  close(): Promise<void>;
}
