// What a Serf reports to its listeners (serf event.go): member events, user events, queries.
import type { MemberEvent } from './members';

export interface UserEvent {
  type: 'user';
  ltime: number;
  name: string;
  payload: Uint8Array;
  coalesce: boolean;
}

/** A query delivered to this node; `respond` answers it once, before the deadline. */
export interface QueryEvent {
  type: 'query';
  ltime: number;
  name: string;
  payload: Uint8Array;
  sourceNode: string;
  /** Epoch ms after which a response is refused. */
  deadline: number;
  respond(payload: Uint8Array): Promise<void>;
}

export type SerfEvent = MemberEvent | UserEvent | QueryEvent;
