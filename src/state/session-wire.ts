// Sessions on the wire (commands and snapshot rows), checked field by field.
import type { ServiceCheckRef, Session, SessionBehavior, SessionWrite } from './session-types';
import {
  readArray,
  readIndex,
  readInt,
  readObject,
  readOptional,
  readString,
  readStringArray,
  WireError,
} from './wire';

export function readSessionWrite(raw: unknown, at: string): SessionWrite {
  const f = readObject(raw, at);
  const lockDelayNs = readInt(f.lockDelayNs, `${at}.lockDelayNs`);
  if (lockDelayNs < 0) throw new WireError(`${at}.lockDelayNs must not be negative`);
  return {
    id: readString(f.id, `${at}.id`),
    name: readString(f.name, `${at}.name`),
    node: readString(f.node, `${at}.node`),
    lockDelayNs,
    behavior: readBehavior(f.behavior, `${at}.behavior`),
    ttl: readString(f.ttl, `${at}.ttl`),
    nodeChecks: readOptional(f.nodeChecks, `${at}.nodeChecks`, readStringArray) ?? null,
    serviceChecks:
      readOptional(f.serviceChecks, `${at}.serviceChecks`, (value, field) =>
        readArray(value, field).map((item, i) => readServiceCheck(item, `${field}[${i}]`)),
      ) ?? null,
    checks: readOptional(f.checks, `${at}.checks`, readStringArray) ?? null,
  };
}

/** A snapshot row: the fields of a write plus its indexes, in one fixed order. */
export function readSessionRow(raw: unknown, at: string): Session {
  const f = readObject(raw, at);
  const write = readSessionWrite(raw, at);
  return {
    ...write,
    createIndex: readIndex(f.createIndex, `${at}.createIndex`),
    modifyIndex: readIndex(f.modifyIndex, `${at}.modifyIndex`),
  };
}

function readBehavior(value: unknown, field: string): SessionBehavior {
  const behavior = readString(value, field);
  if (behavior !== 'release' && behavior !== 'delete') {
    throw new WireError(`${field} must be "release" or "delete", got ${JSON.stringify(behavior)}`);
  }
  return behavior;
}

function readServiceCheck(raw: unknown, at: string): ServiceCheckRef {
  const f = readObject(raw, at);
  return {
    id: readString(f.id, `${at}.id`),
    namespace: readOptional(f.namespace, `${at}.namespace`, readString) ?? '',
  };
}
