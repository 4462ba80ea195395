// Sessions over HTTP: the create body decoded as Consul's structs.Session.UnmarshalJSON does
// (lenient: unknown keys ignored; LockDelay a duration string or nanoseconds, values below 1000
// taken as seconds), the defaults and Checks/NodeChecks fix-up of agent/session_endpoint.go, and
// the Session JSON in Consul's field order.
import { parseDuration } from '../config';
import type { Session, SessionBehavior, SessionWrite } from '../state';
import {
  BodyDecodeError,
  fieldSite,
  goString,
  goStringList,
  ROOT,
  structFields,
  typeError,
  type Site,
  type StructSpec,
} from './go-decode';
import { JsonNumber, type ParsedJson } from './json-parse';
import type { JsonValue } from './json';

const SERF_CHECK_ID = 'serfHealth';
const DEFAULT_LOCK_DELAY_NS = 15e9;
// Consul's lockDelayMinThreshold: smaller numbers are seconds (clients send `15`).
const LOCK_DELAY_SECONDS_BELOW = 1000;

const SESSION_SPEC: StructSpec = {
  goType: 'structs.Session',
  fields: [
    'ID',
    'Name',
    'Node',
    'LockDelay',
    'Behavior',
    'TTL',
    'NodeChecks',
    'ServiceChecks',
    'Checks',
  ],
  lenient: true,
};

const SERVICE_CHECK_SPEC: StructSpec = {
  goType: 'structs.ServiceCheck',
  fields: ['ID', 'Namespace'],
  lenient: true,
};

/** A create request before the server validates it: Behavior may still be "" or anything. */
export interface SessionCreateBody extends Omit<SessionWrite, 'id' | 'behavior'> {
  behavior: string;
}

/** The create request: this agent's defaults overlaid with the body (when there is one). */
export function decodeSessionCreate(body: ParsedJson | null, agentNode: string): SessionCreateBody {
  const request: SessionCreateBody = {
    name: '',
    node: agentNode,
    lockDelayNs: DEFAULT_LOCK_DELAY_NS,
    behavior: 'release',
    ttl: '',
    nodeChecks: [SERF_CHECK_ID],
    serviceChecks: null,
    checks: [SERF_CHECK_ID],
  };
  const fields = body === null ? null : structFields(body, SESSION_SPEC, ROOT);
  for (const [name, value] of fields ?? []) {
    const site = fieldSite(ROOT, 'Session', name);
    switch (name) {
      case 'Name':
        request.name = goString(value, site);
        break;
      case 'Node':
        request.node = goString(value, site);
        break;
      case 'LockDelay':
        if (value !== null) request.lockDelayNs = lockDelayNs(value);
        break;
      case 'Behavior':
        request.behavior = goString(value, site);
        break;
      case 'TTL':
        request.ttl = goString(value, site);
        break;
      case 'NodeChecks':
        request.nodeChecks = value === null ? null : goStringList(value, site);
        break;
      case 'Checks':
        request.checks = value === null ? null : goStringList(value, site);
        break;
      case 'ServiceChecks':
        request.serviceChecks = value === null ? null : serviceChecks(value, site);
        break;
    }
  }
  fixupEmptySessionChecks(request);
  return request;
}

/** Consul's fixupEmptySessionChecks: reconcile the legacy Checks with NodeChecks. */
function fixupEmptySessionChecks(request: SessionCreateBody): void {
  const checks = request.checks ?? [];
  if (checks.length === 0) {
    request.nodeChecks = [];
    request.checks = null;
    return;
  }
  if (checks.length === 1 && checks[0] === SERF_CHECK_ID) {
    request.checks = null;
    return;
  }
  if ((request.nodeChecks ?? []).length === 0) request.checks = null;
}

function lockDelayNs(value: ParsedJson): number {
  let ns = 0;
  if (typeof value === 'string') {
    try {
      ns = Math.round(parseDuration(value) * 1e6);
    } catch (error) {
      throw new BodyDecodeError((error as Error).message);
    }
  } else if (value instanceof JsonNumber) {
    ns = Math.trunc(Number(value.text));
  }
  if (!Number.isSafeInteger(ns)) throw new BodyDecodeError(`LockDelay ${ns} is out of range`);
  if (ns < LOCK_DELAY_SECONDS_BELOW) ns *= 1e9;
  // A negative delay means none.
  return Math.max(ns, 0);
}

function serviceChecks(value: ParsedJson, site: Site): { id: string; namespace: string }[] {
  if (!Array.isArray(value)) throw typeError(value, site, '[]structs.ServiceCheck');
  return value.map((item) => {
    const fields = structFields(item, SERVICE_CHECK_SPEC, site);
    const at = (name: string): Site => fieldSite(site, 'ServiceCheck', name);
    return {
      id: goString(fields?.get('ID') ?? null, at('ID')),
      namespace: goString(fields?.get('Namespace') ?? null, at('Namespace')),
    };
  });
}

/** The Behavior as the server accepts it, or null for Consul's `Invalid Behavior setting`. */
export function sessionBehavior(behavior: string): SessionBehavior | null {
  if (behavior === '' || behavior === 'release') return 'release';
  return behavior === 'delete' ? 'delete' : null;
}

export function sessionJson(session: Session): JsonValue {
  return {
    ID: session.id,
    Name: session.name,
    Node: session.node,
    LockDelay: session.lockDelayNs,
    Behavior: session.behavior,
    TTL: session.ttl,
    NodeChecks: session.nodeChecks,
    ServiceChecks:
      session.serviceChecks === null
        ? null
        : session.serviceChecks.map((check) => ({ ID: check.id, Namespace: check.namespace })),
    Checks: session.checks === null || session.checks.length === 0 ? undefined : session.checks,
    CreateIndex: session.createIndex,
    ModifyIndex: session.modifyIndex,
  };
}
