// The public face of the state store module.
export { StateStore } from './store';
export { WatchSetBuilder } from './watch';
export { Fsm, applyCommand } from './fsm';
export { encodeCommand, decodeCommand } from './codec';
export { WireError } from './wire';
export { goQuote } from './go-quote';
export { isReadOnlyVerb } from './txn';
export {
  precheckCatalogTxnOp,
  type CatalogTxnOp,
  type CheckTxnOp,
  type MixedTxnOp,
  type MixedTxnResult,
  type NodeTxnOp,
  type ServiceTxnOp,
  type TxnOpResult,
} from './catalog-txn';
export * from './types';
export * from './commands';
export * from './catalog-types';
export { CatalogError } from './catalog';
export {
  emptyCheckDefinition,
  normalizeRegistration,
  type CatalogSyncOp,
} from './catalog-register';
export {
  AclReads,
  type AclBootstrapResult,
  type AclLink,
  type AclNodeIdentity,
  type AclPolicyRecord,
  type AclResult,
  type AclRoleRecord,
  type AclServiceIdentity,
  type AclTokenRecord,
} from './acl';
export type { AutopilotConfigRow, RestoreResult, RestoreStaging } from './restore';
export { snapshotStats, type SnapshotRecordStats } from './snapshot-stats';
export * from './session-types';
export type { SessionListener } from './store';
export type { SessionEvent } from './tables';
export { readSessionRow } from './session-wire';
export * from './prepared-query-types';
export { PreparedQueryError, QueryNotFoundError } from './prepared-query';
export {
  compileTemplate,
  QueryTemplateError,
  type CompiledTemplate,
} from './prepared-query-template';
export { readCheckServiceNode, readPreparedQueryRow } from './prepared-query-wire';
export type { CoordinateRow } from './coordinates';
