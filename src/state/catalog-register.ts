// Catalog registration and deregistration as Consul's Catalog.Register / Catalog.Deregister
// RPCs and its FSM apply them: request checks and defaults first (the endpoint may run them
// before proposing, the FSM runs them again so that every replica decides alike), then the
// table writes of catalog.ts inside one transaction.
import {
  CatalogError,
  deleteCheckTxn,
  deleteNodeTxn,
  deleteServiceTxn,
  ensureCheckTxn,
  ensureNodeTxn,
  ensureServiceTxn,
  nodeKey,
} from './catalog';
import type {
  CatalogResult,
  CheckDefinition,
  CheckRegistration,
  Deregistration,
  Registration,
} from './catalog-types';
import type { WriteTxn } from './tables';

/** One step of a catalog-sync: a registration, or a deregistration on the sync's node. */
export type CatalogSyncOp =
  | { op: 'register'; registration: Registration }
  | { op: 'deregister'; serviceID: string; checkID: string };

/** A check definition with every field at its zero value (a check nothing would run). */
export function emptyCheckDefinition(): CheckDefinition {
  return {
    http: '',
    header: {},
    method: '',
    body: '',
    tlsServerName: '',
    tlsSkipVerify: false,
    tcp: '',
    udp: '',
    grpc: '',
    grpcUseTLS: false,
    interval: '',
    timeout: '',
    deregisterCriticalServiceAfter: '',
  };
}

const UUID_FORMAT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// ipaddr.IsAny: the unspecified addresses a service cannot be reached at.
const ANY_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The registration as Consul would apply it (service ID ← name, check node ← request node,
 * CheckID ← Name, check type from its definition), or Consul's error text.
 */
export function normalizeRegistration(req: Registration): Registration | CatalogError {
  if (req.node === '') return new CatalogError('Must provide node');
  const names = [req.node, req.service?.id ?? '', req.service?.service ?? ''];
  for (const check of req.checks) names.push(check.checkID, check.name, check.serviceID);
  const nul = names.find((name) => name.includes('\0'));
  // Table keys join names with NUL, so a name holding one could pose as another's row.
  if (nul !== undefined)
    return new CatalogError(`Invalid name ${JSON.stringify(nul)}: contains NUL`);
  if (req.id !== '') {
    const bad = uuidProblem(req.id);
    if (bad !== null) return new CatalogError(`Bad node ID: ${bad}`);
  }
  if (req.address === '' && !req.skipNodeUpdate) {
    return new CatalogError('Must provide address if SkipNodeUpdate is not set');
  }
  let service = req.service;
  if (service !== null) {
    if (service.service === '') {
      return new CatalogError(
        service.id === ''
          ? 'Must provide service name'
          : 'Must provide service name (Service.Service) when service ID is provided',
      );
    }
    if (isUnspecifiedAddress(service.address)) return new CatalogError('Invalid service address');
    service = { ...service, id: service.id === '' ? service.service : service.id };
  }
  const checks: CheckRegistration[] = [];
  for (const given of req.checks) {
    const check = normalizeCheck(given, req.node);
    if (check.checkID === '') return new CatalogError('Must provide a CheckID or Name for a check');
    if (nodeKey(check.node) !== nodeKey(req.node)) {
      return new CatalogError(
        `Node '${check.node}' for check '${check.checkID}' doesn't match register request node '${req.node}'`,
      );
    }
    checks.push(check);
  }
  return { ...req, service, checks };
}

function normalizeCheck(check: CheckRegistration, node: string): CheckRegistration {
  const checkID = check.checkID === '' ? check.name : check.checkID;
  const type = check.type === '' ? checkTypeOf(check.definition) : check.type;
  return { ...check, node: check.node === '' ? node : check.node, checkID, type };
}

// CheckType.Type() for what a catalog definition can hold: a probe counts only with an interval.
function checkTypeOf(definition: CheckDefinition): string {
  if (!isPositiveDuration(definition.interval)) return '';
  if (definition.grpc !== '') return 'grpc';
  if (definition.http !== '') return 'http';
  if (definition.tcp !== '') return 'tcp';
  if (definition.udp !== '') return 'udp';
  return '';
}

function isPositiveDuration(text: string): boolean {
  return /^(\d*\.?\d+(ns|us|µs|ms|s|m|h))+$/.test(text) && /[1-9]/.test(text);
}

/** ipaddr.IsAny: an address a service cannot be reached at. */
export function isUnspecifiedAddress(address: string): boolean {
  return ANY_ADDRESSES.has(address);
}

/** go-uuid's ParseUUID messages. */
export function uuidProblem(id: string): string | null {
  if (id.length !== 36) return 'uuid string is wrong length';
  if (!UUID_FORMAT.test(id)) return 'uuid is improperly formatted';
  return null;
}

/** Applies a normalized registration: node (unless SkipNodeUpdate on an existing node), service, checks. */
export function ensureRegistrationTxn(tx: WriteTxn, req: Registration): void {
  if (!req.skipNodeUpdate || tx.tables.nodes.get(nodeKey(req.node)) === undefined) {
    ensureNodeTxn(tx, {
      id: req.id,
      node: req.node,
      address: req.address,
      datacenter: req.datacenter,
      taggedAddresses: req.taggedAddresses,
      meta: req.nodeMeta,
    });
  }
  if (req.service !== null) ensureServiceTxn(tx, req.node, req.service);
  for (const check of req.checks) ensureCheckTxn(tx, check);
}

/** A service (with its checks) if named, else a check if named, else the whole node. */
export function deregistrationTxn(tx: WriteTxn, req: Deregistration): void {
  if (req.serviceID !== '') deleteServiceTxn(tx, req.node, req.serviceID);
  else if (req.checkID !== '') deleteCheckTxn(tx, req.node, req.checkID);
  else deleteNodeTxn(tx, req.node);
}

/** Registers, as one write: either all of it applies or, with an error, none of it. */
export function registerTxn(tx: WriteTxn, req: Registration): CatalogResult {
  return guarded(tx, () => {
    const normalized = normalizeRegistration(req);
    if (normalized instanceof CatalogError) throw normalized;
    ensureRegistrationTxn(tx, normalized);
  });
}

export function deregisterTxn(tx: WriteTxn, req: Deregistration): CatalogResult {
  return guarded(tx, () => {
    if (req.node === '') throw new CatalogError('Must provide node');
    deregistrationTxn(tx, req);
  });
}

/**
 * Anti-entropy's fix for one node in one Raft entry: the ops in order, all or nothing. Every
 * registration must be for `node`; a failing op's error names its position.
 */
export function syncTxn(tx: WriteTxn, node: string, ops: CatalogSyncOp[]): CatalogResult {
  return guarded(tx, () => {
    if (node === '') throw new CatalogError('Must provide node');
    ops.forEach((op, i) => {
      try {
        if (op.op === 'deregister') {
          deregistrationTxn(tx, { node, serviceID: op.serviceID, checkID: op.checkID });
          return;
        }
        if (nodeKey(op.registration.node) !== nodeKey(node)) {
          throw new CatalogError(
            `registration for node '${op.registration.node}' in a sync of node '${node}'`,
          );
        }
        const normalized = normalizeRegistration(op.registration);
        if (normalized instanceof CatalogError) throw normalized;
        ensureRegistrationTxn(tx, normalized);
      } catch (error) {
        if (error instanceof CatalogError) throw new CatalogError(`op ${i}: ${error.message}`);
        throw error;
      }
    });
  });
}

// Consul's user errors become a value and undo the transaction; anything else is a bug and throws.
function guarded(tx: WriteTxn, write: () => void): CatalogResult {
  try {
    write();
    return { ok: true };
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    tx.rollback();
    return { ok: false, error: error.message };
  }
}
