// One request's ACL state: the token it carries (resolved once, before the handler), the checks
// that answer 403 as Consul words them, and the list filtering that sets
// X-Consul-Results-Filtered-By-ACLs. Writes are checked where they become commands
// (acl-runtime.ts), which finds the request's state through `aclScope`.
import { AsyncLocalStorage } from 'node:async_hooks';

import type { FastifyReply, FastifyRequest } from 'fastify';

import {
  AclNotFoundError,
  PermissionDeniedError,
  type Access,
  type Resource,
  type TokenPermissions,
} from '../acl';
import type { AgentCore } from '../server';
import { routeAcl, type RouteAcl } from './acl-routes';
import { HttpError } from './errors';
import type { JsonValue } from './json';

/** filterAnswer's verdict for a list the filtering emptied on a route that then answers 404. */
export const FILTERED_TO_NOTHING: unique symbol = Symbol('filtered to nothing');

export class RequestAcl {
  constructor(
    readonly permissions: TokenPermissions,
    /** False when ACLs are off: every check passes and nothing is filtered. */
    readonly enforcing: boolean,
    private readonly reply: FastifyReply,
    private readonly route: RouteAcl | undefined,
    private readonly request: FastifyRequest,
  ) {}

  /**
   * The route's answer trimmed to what the token may read (lists, maps of services…), or
   * FILTERED_TO_NOTHING when the route answers 404 for a list the filtering emptied (KV
   * ?recurse, as Consul).
   */
  filterAnswer(value: JsonValue): JsonValue | typeof FILTERED_TO_NOTHING {
    const filter = this.route?.filter;
    if (!this.enforcing || filter === undefined) return value;
    const visible = filter(this, value);
    const emptied = visible !== value && Array.isArray(visible) && visible.length === 0;
    if (emptied && this.route?.notFoundWhenEmptied?.(this.request) === true) {
      return FILTERED_TO_NOTHING;
    }
    return visible;
  }

  allows(resource: Resource, name: string, access: Access): boolean {
    return !this.enforcing || this.permissions.allows(resource, name, access);
  }

  /** Throws Consul's 403 when the token lacks `resource:access` on `name`. */
  require(resource: Resource, name: string, access: Access): void {
    if (this.enforcing) asHttp(() => this.permissions.require(resource, name, access));
  }

  requireKeyWritePrefix(prefix: string): void {
    if (this.enforcing) asHttp(() => this.permissions.requireKeyWritePrefix(prefix));
  }

  /** The items the token may see; marks the answer as filtered when some were dropped. */
  keep<T>(items: readonly T[], visible: (item: T) => boolean): T[] {
    if (!this.enforcing) return [...items];
    const kept = items.filter(visible);
    if (kept.length !== items.length) this.markFiltered();
    return kept;
  }

  /** Consul sets the header only when a real (non-anonymous) token caused the filtering. */
  markFiltered(): void {
    if (!this.permissions.resolved.anonymous) {
      this.reply.header('x-consul-results-filtered-by-acls', 'true');
    }
  }
}

/** The request whose handler is running (set around the handler by the onRequest hook). */
export const aclScope = new AsyncLocalStorage<RequestAcl>();

const requestAcls = new WeakMap<FastifyRequest, RequestAcl>();

/** The ACL state of `request`, or null for requests no route took (404, 405, OPTIONS). */
export function requestAcl(request: FastifyRequest): RequestAcl | null {
  return requestAcls.get(request) ?? null;
}

/**
 * Resolves the request's token (`?token`, then `X-Consul-Token`, then `Authorization: Bearer`,
 * then the agent's default token, then anonymous), runs its route's check (acl-routes.ts) and
 * remembers both for the handler. Throws the 403 of a refused request.
 */
export function openRequestAcl(
  runtime: AgentCore,
  request: FastifyRequest,
  reply: FastifyReply,
): RequestAcl {
  const enforcing = runtime.acl.enabled();
  const url = request.routeOptions.url;
  const route = url === undefined ? undefined : routeAcl(request.method, url);
  const permissions = asHttp(() => runtime.acl.resolve(enforcing ? requestToken(request) : null));
  const acl = new RequestAcl(permissions, enforcing, reply, route, request);
  requestAcls.set(request, acl);
  if (enforcing && route?.check !== undefined) route.check(acl, request, runtime);
  return acl;
}

export function requestToken(request: FastifyRequest): string | null {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.token;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  if (Array.isArray(fromQuery) && typeof fromQuery[0] === 'string' && fromQuery[0] !== '') {
    return fromQuery[0];
  }
  const header = request.headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const bearer = authorization.slice(space + 1).trim();
      if (bearer !== '') return bearer;
    }
  }
  return null;
}

/** Runs `check`, turning ACL refusals into Consul's 403 answers. */
export function asHttp<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof PermissionDeniedError || error instanceof AclNotFoundError) {
      throw new HttpError(403, error.message);
    }
    throw error;
  }
}
