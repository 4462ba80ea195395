import type { PersistBatch } from './types';

/** One write the group commit carries; all writes of one event-loop turn share a transaction. */
export type StorageWrite =
  | { kind: 'persist'; batch: PersistBatch }
  | { kind: 'truncateSuffix'; from: number }
  | { kind: 'deletePrefix'; upto: number };
