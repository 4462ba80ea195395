// @consulate/client: the public face of the SDK.
export { Consul } from './client';
export type { ConsulOptions, Consistency, TlsOptions } from './options';
export { ConsulError, ConsulRequestError, isAbortError } from './errors';
export type { QueryMeta, QueryOptions, QueryResult, RequestOptions } from './transport';
export { durationMs } from './transport';
export { KV, kvText, kvValue } from './kv';
export type { KVDeleteOptions, KVKeysOptions, KVPutOptions } from './kv';
export { Agent } from './agent';
export { Catalog } from './catalog';
export { Health } from './health';
export { Status } from './status';
export type * from './types';
export { parseConsulJson, stringifyConsulJson } from './json';
export { watch, Watch } from './watch';
export type { Fetcher, WatchChange, WatchErrorInfo, WatchOptions, WatchQuery } from './watch';
export { deepEqual, changedPaths } from './equal';
export { ConfigSource, settings } from './config-source';
export type {
  ConfigSourceOptions,
  SettingsChange,
  SettingsOrigin,
  SettingsRejection,
} from './config-source';
export { runValidator, SettingsValidationError } from './validator';
export type { SafeParseResult, Validator } from './validator';
export {
  formatOfKey,
  parseCsv,
  parseCsvRecords,
  parseEnv,
  parseFormat,
  parseProperties,
  parseYaml,
} from './formats';
export type { CsvColumnType, CsvOptions, Format, FormatName, Parser } from './formats';
export { registerService, ServiceRegistration } from './registration';
export type { HttpCheckOptions, ServiceRegistrationOptions, TtlCheckOptions } from './registration';
export { Session, SessionRenewer } from './session';
export type { SessionCreateOptions, SessionEntry } from './session';
export { Lock, LockConflictError, LOCK_FLAG_VALUE } from './lock';
export type { LockClient, LockOptions } from './lock';
export { Semaphore, SEMAPHORE_FLAG_VALUE, SEMAPHORE_LOCK_KEY } from './semaphore';
export type { SemaphoreOptions } from './semaphore';
export { LeaderElection } from './election';
export type { Leader, LeaderElectionOptions } from './election';
