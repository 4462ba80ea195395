// The serf layer: membership with intents, user events, queries and keyring rotation over memberlist.
export { Serf, type SerfState } from './serf';
export { SERF_DEFAULTS, type SerfConfig } from './config';
export type { SerfEvent, UserEvent, QueryEvent } from './events';
export {
  MEMBER_STATUS_CODE,
  type SerfMember,
  type MemberStatus,
  type MemberEvent,
  type MemberEventType,
} from './members';
export { QueryResponse, type QueryParams, type NodeResponse } from './query';
export type { KeyManager, KeyResponse, KeyRequestOptions } from './key-manager';
export { decodeKey, encodeKey, readKeyringFile, writeKeyringFile } from './keyring-file';
