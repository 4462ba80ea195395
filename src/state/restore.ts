// Two pieces of cluster state that are not API tables: a snapshot restore being staged through
// Raft, and autopilot's configuration. A restore arrives as chunks (one Raft entry each, so no
// entry is large), staged identically on every server, then one entry swaps the whole store
// for the staged state; until then nothing readers see changes. Both ride in FSM snapshots, so
// a server that catches up from a snapshot mid-restore stages exactly what the others did.
import { createHash } from 'node:crypto';

import type {
  AutopilotSetCommand,
  AutopilotValues,
  SnapshotChunkCommand,
  SnapshotRestoreCommand,
} from './commands';
import type { StateStore } from './store';
import type { Tables } from './tables';
import {
  readArray,
  readBool,
  readBytes,
  readIndex,
  readObject,
  readString,
  WireError,
  type Fields,
} from './wire';

export interface AutopilotConfigRow extends AutopilotValues {
  createIndex: number;
  modifyIndex: number;
}

/** A restore in progress: the state.bin bytes received so far, in order. */
export interface RestoreStaging {
  id: string;
  size: number;
  chunks: Uint8Array[];
}

/** What a `snapshot-restore` entry did: the store was replaced, or why it was not. */
export type RestoreResult = { restored: true } | { restored: false; error: string };

/** Appends a chunk; offset 0 starts a new restore (dropping any abandoned one). */
export function applySnapshotChunk(
  store: StateStore,
  index: number,
  cmd: SnapshotChunkCommand,
): boolean {
  return store.write(index, (tx) => {
    const staging = tx.tables.restoring;
    if (cmd.offset === 0) {
      tx.tables.restoring = { id: cmd.restore, size: cmd.data.length, chunks: [cmd.data] };
      return true;
    }
    if (staging === null || staging.id !== cmd.restore || staging.size !== cmd.offset) {
      return false;
    }
    staging.chunks.push(cmd.data);
    staging.size += cmd.data.length;
    return true;
  });
}

/**
 * Swaps the store for the staged state when it is complete and matches the checksum the
 * restorer verified; otherwise drops the staging and leaves the store as it was.
 */
export function applySnapshotRestore(
  store: StateStore,
  index: number,
  cmd: SnapshotRestoreCommand,
): RestoreResult {
  const staging = store.restoring();
  const refuse = (error: string): RestoreResult => {
    store.write(index, (tx) => {
      tx.tables.restoring = null;
    });
    return { restored: false, error };
  };
  if (staging === null || staging.id !== cmd.restore) {
    return refuse('no staged snapshot for this restore (another restore replaced it)');
  }
  if (staging.size !== cmd.size) {
    return refuse(`staged ${staging.size} bytes of state, expected ${cmd.size}`);
  }
  const data = Buffer.concat(staging.chunks, staging.size);
  staging.chunks = [];
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== cmd.sha256) return refuse('staged state does not match its SHA-256');
  try {
    store.restore(data, index);
  } catch (error) {
    return refuse(`failed to restore snapshot: ${(error as Error).message}`);
  }
  return { restored: true };
}

/**
 * Consul's AutopilotCASConfig: with `cas`, only when the stored ModifyIndex equals it (false
 * when none is stored); `seed` writes only when none is stored (the leader's first setup).
 */
export function applyAutopilotSet(
  store: StateStore,
  index: number,
  cmd: AutopilotSetCommand,
): boolean {
  return store.write(index, (tx) => {
    const existing = tx.tables.autopilot;
    if (cmd.seed === true && existing !== null) return false;
    if (cmd.cas !== undefined && (existing === null || existing.modifyIndex !== cmd.cas)) {
      return false;
    }
    tx.tables.autopilot = {
      ...cmd.config,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    };
    return true;
  });
}

export function readAutopilotValues(raw: unknown, field: string): AutopilotValues {
  const fields = readObject(raw, field);
  return {
    cleanupDeadServers: readBool(fields.cleanupDeadServers, `${field}.cleanupDeadServers`),
    lastContactThresholdMs: readIndex(
      fields.lastContactThresholdMs,
      `${field}.lastContactThresholdMs`,
    ),
    maxTrailingLogs: readIndex(fields.maxTrailingLogs, `${field}.maxTrailingLogs`),
    minQuorum: readIndex(fields.minQuorum, `${field}.minQuorum`),
    serverStabilizationTimeMs: readIndex(
      fields.serverStabilizationTimeMs,
      `${field}.serverStabilizationTimeMs`,
    ),
  };
}

/** The optional snapshot sections for these two (absent when empty, so older snapshots read). */
export function encodeSystemSections(tables: Tables): Fields {
  const sections: Fields = {};
  if (tables.autopilot !== null) sections.autopilot = { ...tables.autopilot };
  if (tables.restoring !== null) {
    const { id, chunks } = tables.restoring;
    sections.restoring = { id, chunks };
  }
  return sections;
}

export function readSystemSections(body: Fields, tables: Tables): void {
  if (body.autopilot !== undefined) {
    const fields = readObject(body.autopilot, 'snapshot.autopilot');
    tables.autopilot = {
      ...readAutopilotValues(fields, 'snapshot.autopilot'),
      createIndex: readIndex(fields.createIndex, 'snapshot.autopilot.createIndex'),
      modifyIndex: readIndex(fields.modifyIndex, 'snapshot.autopilot.modifyIndex'),
    };
  }
  if (body.restoring !== undefined) {
    const fields = readObject(body.restoring, 'snapshot.restoring');
    const chunks = readArray(fields.chunks, 'snapshot.restoring.chunks').map((chunk, i) =>
      readBytes(chunk, `snapshot.restoring.chunks[${i}]`),
    );
    const id = readString(fields.id, 'snapshot.restoring.id');
    if (id === '') throw new WireError('snapshot.restoring.id must not be empty');
    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    tables.restoring = { id, size, chunks };
  }
}
