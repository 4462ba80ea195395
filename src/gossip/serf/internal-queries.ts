// serf's internal queries (internal_query.go): `_serf_ping`, `_serf_conflict` and the keyring
// queries, answered by every node before user listeners see any query.
import type { QueryEvent } from './events';
import { encodeKey } from './keyring-file';
import { ipToBytes } from '../memberlist';
import { MEMBER_STATUS_CODE } from './members';
import {
  decodeConflictResponse,
  decodeKeyRequest,
  encodeConflictResponse,
  encodeKeyResponse,
  encodeQueryResponse,
  MessageType,
  utf8,
  type KeyResponseMessage,
} from './messages';
import type { Serf } from './serf';

export const INTERNAL_QUERY_PREFIX = '_serf_';
export const PING_QUERY = '_serf_ping';
export const CONFLICT_QUERY = '_serf_conflict';
export const INSTALL_KEY_QUERY = '_serf_install-key';
export const USE_KEY_QUERY = '_serf_use-key';
export const REMOVE_KEY_QUERY = '_serf_remove-key';
export const LIST_KEYS_QUERY = '_serf_list-keys';
/** The shortest base64 key (16 bytes) plus msgpack framing: bounds how many keys can fit. */
const MIN_ENCODED_KEY_LENGTH = 25;

export async function handleInternalQuery(serf: Serf, q: QueryEvent): Promise<void> {
  const log = serf.log;
  try {
    switch (q.name) {
      case PING_QUERY:
        return;
      case CONFLICT_QUERY:
        return await answerConflict(serf, q);
      case INSTALL_KEY_QUERY:
      case USE_KEY_QUERY:
      case REMOVE_KEY_QUERY:
        return await q.respond(encodeKeyResponse(changeKeyring(serf, q)));
      case LIST_KEYS_QUERY:
        return await q.respond(listKeysResponse(serf, q));
      default:
        log.warn(`serf: Unhandled internal query '${q.name.slice(INTERNAL_QUERY_PREFIX.length)}'`);
    }
  } catch (err) {
    log.error(`serf: Failed to respond to ${q.name}: ${(err as Error).message}`);
  }
}

async function answerConflict(serf: Serf, q: QueryEvent): Promise<void> {
  const node = new TextDecoder().decode(q.payload);
  if (node === serf.nodeName()) return;
  const m = serf.memberByName(node);
  await q.respond(
    encodeConflictResponse(
      m === undefined
        ? null
        : {
            name: m.name,
            addr: ipToBytes(m.addr),
            port: m.port,
            tags: m.tags,
            status: MEMBER_STATUS_CODE[m.status],
            protocolMin: m.protocolMin,
            protocolMax: m.protocolMax,
            protocolCur: m.protocolCur,
            delegateMin: m.delegateMin,
            delegateMax: m.delegateMax,
            delegateCur: m.delegateCur,
          },
    ),
  );
}

function changeKeyring(serf: Serf, q: QueryEvent): KeyResponseMessage {
  const response: KeyResponseMessage = { result: false, message: '', keys: [], primaryKey: '' };
  const log = serf.log;
  let key: Uint8Array | null;
  try {
    if (q.payload.length < 1 || q.payload[0] !== MessageType.KeyRequest)
      throw new Error('not a key request');
    key = decodeKeyRequest(q.payload.subarray(1));
  } catch (err) {
    log.error(`serf: Failed to decode key request: ${(err as Error).message}`);
    return response;
  }
  const ring = serf.keyring();
  if (ring === null || !serf.encryptionEnabled()) {
    response.message = 'No keyring to modify (encryption not enabled)';
    log.error(`serf: ${response.message}`);
    return response;
  }
  const k = key ?? new Uint8Array(0);
  try {
    if (q.name === INSTALL_KEY_QUERY) ring.addKey(k);
    else if (q.name === USE_KEY_QUERY) ring.useKey(k);
    else ring.removeKey(k);
    serf.writeKeyringFile();
  } catch (err) {
    response.message = (err as Error).message;
    log.error(`serf: Failed to change the keyring (${q.name}): ${response.message}`);
    return response;
  }
  response.result = true;
  return response;
}

/** The list-keys answer, truncated (with serf's message) until the response fits. */
function listKeysResponse(serf: Serf, q: QueryEvent): Uint8Array {
  const ring = serf.keyring();
  const response: KeyResponseMessage = { result: false, message: '', keys: [], primaryKey: '' };
  if (ring === null || !serf.encryptionEnabled()) {
    response.message = 'Keyring is empty (encryption not enabled)';
    return encodeKeyResponse(response);
  }
  response.keys = ring.getKeys().map(encodeKey);
  const primary = ring.getPrimaryKey();
  response.primaryKey = primary === null ? '' : encodeKey(primary);
  response.result = true;
  const limit = serf.queryResponseSizeLimit();
  const actual = response.keys.length;
  for (let i = Math.floor(limit / MIN_ENCODED_KEY_LENGTH); i >= 0; i--) {
    const payload = encodeKeyResponse(response);
    const wrapped = encodeQueryResponse({
      ltime: q.ltime,
      id: 0xffffffff,
      from: serf.nodeName(),
      flags: 0,
      payload,
    });
    if (wrapped.length <= limit) return payload;
    response.keys = response.keys.slice(0, i);
    response.message = `truncated key list response, showing first ${i} of ${actual} keys`;
  }
  throw new Error('Failed to truncate response so that it fits into message');
}

/** On a name conflict about us: ask everyone whom they see under our name; quit if we lose. */
export async function resolveNameConflict(serf: Serf): Promise<void> {
  const log = serf.log;
  const local = serf.memberlist.localNode();
  let resp;
  try {
    resp = await serf.query(CONFLICT_QUERY, utf8(serf.nodeName()), {});
  } catch (err) {
    log.error(`serf: Failed to start name resolution query: ${(err as Error).message}`);
    return;
  }
  const { responses: answers } = await resp.collect();
  let responses = 0;
  let matching = 0;
  for (const r of answers) {
    if (r.payload.length < 1 || r.payload[0] !== MessageType.ConflictResponse) {
      log.error('serf: Invalid conflict query response type');
      continue;
    }
    let member;
    try {
      member = decodeConflictResponse(r.payload.subarray(1));
    } catch (err) {
      log.error(`serf: Failed to decode conflict query response: ${(err as Error).message}`);
      continue;
    }
    responses++;
    if (member !== null && member.port === local.port && sameIp(member.addr, ipToBytes(local.addr)))
      matching++;
  }
  const majority = Math.floor(responses / 2) + 1;
  if (matching >= majority) {
    log.info(`serf: majority in name conflict resolution [${matching} / ${responses}]`);
    return;
  }
  log.warn(`serf: minority in name conflict resolution, quitting [${matching} / ${responses}]`);
  await serf.shutdown();
}

function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  const norm = (x: Uint8Array): string =>
    Array.from(x.length === 16 && x[10] === 0xff && x[11] === 0xff ? x.subarray(12) : x).join('.');
  return norm(a) === norm(b);
}
