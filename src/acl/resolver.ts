// From a SecretID to what it may do. Servers hold every token, policy and role in their own
// state store, so a token always resolves locally (down_policy only matters to agents that ask
// a remote server, which this build does not run). Resolved tokens are cached until any token,
// policy or role changes; compiled policies until that policy changes.
import { goQuote, type AclReads, type AclTokenRecord } from '../state';
import {
  chain,
  defaultAuthorizer,
  MANAGE_ALL,
  PolicyAuthorizer,
  type Access,
  type Authorizer,
} from './authorizer';
import {
  ANONYMOUS_TOKEN_ID,
  ANONYMOUS_TOKEN_SECRET,
  GLOBAL_MANAGEMENT_POLICY_ID,
} from './builtins';
import { nodeIdentityRules, serviceIdentityRules } from './identities';
import { parsePolicyRules, type PolicyRules, type Resource } from './rules';
import type { AgentTokenFile } from './token-file';

/** What the resolver needs from the agent's configuration (read afresh on every resolve). */
export interface AclSettings {
  enabled: boolean;
  defaultPolicy: 'allow' | 'deny';
  datacenter: string;
  nodeName: string;
  /** acl.tokens: default, agent, agent_recovery, … */
  tokens: Readonly<Record<string, string>>;
}

export interface ResolvedToken {
  /** AccessorID for messages; the anonymous token's when none was given. */
  accessorId: string;
  /** The stored token (null for ACLs off and for the agent recovery token). */
  token: AclTokenRecord | null;
  authorizer: Authorizer;
  anonymous: boolean;
}

/** A SecretID no token has (or an expired one): Consul's 403 `ACL not found`. */
export class AclNotFoundError extends Error {
  constructor() {
    super('ACL not found');
    this.name = 'AclNotFoundError';
  }
}

/** A denied request: Consul's 403 text naming the accessor, the permission and the name. */
export class PermissionDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionDeniedError';
  }

  static lacking(
    accessorId: string,
    resource: Resource,
    access: Access,
    name: string | null,
  ): PermissionDeniedError {
    const on = name === null ? '' : ` on ${goQuote(name)}`;
    return new PermissionDeniedError(
      `Permission denied: token with AccessorID '${accessorId}' lacks permission '${resource}:${access}'${on}`,
    );
  }
}

const UNNAMED: ReadonlySet<Resource> = new Set(['acl', 'keyring', 'operator', 'mesh', 'peering']);

/** One request's token: checks that throw PermissionDeniedError, and filters. */
export class TokenPermissions {
  constructor(readonly resolved: ResolvedToken) {}

  allows(resource: Resource, name: string, access: Access): boolean {
    return this.resolved.authorizer.decide(resource, name, access) === 'allow';
  }

  require(resource: Resource, name: string, access: Access): void {
    if (this.allows(resource, name, access)) return;
    throw PermissionDeniedError.lacking(
      this.resolved.accessorId,
      resource,
      access,
      UNNAMED.has(resource) ? null : name,
    );
  }

  requireKeyWritePrefix(prefix: string): void {
    if (this.resolved.authorizer.decideKeyWritePrefix(prefix) === 'allow') return;
    throw PermissionDeniedError.lacking(this.resolved.accessorId, 'key', 'write', prefix);
  }
}

interface CachedToken {
  resolved: ResolvedToken;
  /** Epoch ms after which the token no longer resolves (Infinity: never). */
  expiresAtMs: number;
}

export class AclResolver {
  private generation = -1;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly policies = new Map<string, { modifyIndex: number; rules: PolicyRules }>();
  /** Agent tokens set through PUT /v1/agent/token/:name (and, persisted, loaded at start). */
  private readonly agentTokens = new Map<string, string>();

  /** `tokenFile`: acl.enable_token_persistence's file, or null to keep API tokens in memory. */
  constructor(
    private readonly reads: AclReads,
    private readonly settings: () => AclSettings,
    private readonly tokenFile: AgentTokenFile | null = null,
  ) {}

  /**
   * Loads the persisted agent tokens (they win over the configuration's, as in Consul); returns
   * Consul's warnings: a file that could not be read, a token set in both places.
   */
  loadPersistedTokens(): string[] {
    if (this.tokenFile === null) return [];
    let persisted: Record<string, string>;
    try {
      persisted = this.tokenFile.load();
    } catch (error) {
      return [`unable to load persisted tokens: ${(error as Error).message}`];
    }
    const configured = this.settings().tokens;
    const warnings: string[] = [];
    for (const [name, secret] of Object.entries(persisted)) {
      this.agentTokens.set(name, secret);
      if ((configured[name] ?? '') !== '') {
        warnings.push(
          `"${name}" token present in both the configuration and persisted token store, using the persisted token`,
        );
      }
    }
    return warnings;
  }

  enabled(): boolean {
    return this.settings().enabled;
  }

  defaultPolicy(): 'allow' | 'deny' {
    return this.settings().enabled ? this.settings().defaultPolicy : 'allow';
  }

  /**
   * The permissions of `secret` ("" or null: the agent's default token, else anonymous).
   * Throws AclNotFoundError for a secret no live token has.
   */
  /**
   * Replaces one of the agent's tokens (`default`, `agent`, `agent_recovery`, …), and with token
   * persistence writes the file (throws when it cannot: the token is set but not persisted).
   */
  setAgentToken(name: string, secret: string): void {
    this.agentTokens.set(name, secret);
    if (this.tokenFile === null) return;
    try {
      this.tokenFile.save(this.agentTokens);
    } catch (error) {
      throw new Error(`Failed to persist tokens - ${(error as Error).message}`, { cause: error });
    }
  }

  private current(): AclSettings {
    const settings = this.settings();
    if (this.agentTokens.size === 0) return settings;
    return { ...settings, tokens: { ...settings.tokens, ...Object.fromEntries(this.agentTokens) } };
  }

  /** The agent's token named `name` as it stands now ("" when unset). */
  agentToken(name: string): string {
    return this.current().tokens[name] ?? '';
  }

  resolve(secret: string | null): TokenPermissions {
    const settings = this.current();
    if (!settings.enabled) {
      return new TokenPermissions({
        accessorId: ANONYMOUS_TOKEN_ID,
        token: null,
        authorizer: MANAGE_ALL,
        anonymous: true,
      });
    }
    let wanted = secret ?? '';
    if (wanted === '') wanted = settings.tokens.default ?? '';
    if (wanted === '') wanted = ANONYMOUS_TOKEN_SECRET;
    const generation = this.reads.generation();
    if (generation !== this.generation) {
      this.tokens.clear();
      this.generation = generation;
    }
    const cached = this.tokens.get(wanted);
    if (cached !== undefined && Date.now() < cached.expiresAtMs) {
      return new TokenPermissions(cached.resolved);
    }
    const fresh = this.resolveUncached(wanted, settings);
    if (fresh.expiresAtMs <= Date.now()) throw new AclNotFoundError();
    this.tokens.set(wanted, fresh);
    return new TokenPermissions(fresh.resolved);
  }

  /** The compiled rules of a stored policy (cached until it changes). */
  policyRules(id: string): PolicyRules | null {
    const policy = this.reads.policy(id).value;
    if (policy === null) return null;
    const cached = this.policies.get(id);
    if (cached !== undefined && cached.modifyIndex === policy.modifyIndex) return cached.rules;
    const rules = parsePolicyRules(policy.rules);
    this.policies.set(id, { modifyIndex: policy.modifyIndex, rules });
    return rules;
  }

  private resolveUncached(secret: string, settings: AclSettings): CachedToken {
    const recovery = settings.tokens.agent_recovery;
    if (recovery !== undefined && recovery !== '' && secret === recovery) {
      return { resolved: this.agentRecovery(settings), expiresAtMs: Infinity };
    }
    const token = this.reads.tokenBySecret(secret);
    if (token === null) throw new AclNotFoundError();
    const expiresAtMs = token.expirationTime === null ? Infinity : Date.parse(token.expirationTime);
    const documents = this.tokenRules(token, settings);
    const authorizer = chain([
      new PolicyAuthorizer(documents),
      defaultAuthorizer(settings.defaultPolicy),
    ]);
    return {
      resolved: {
        accessorId: token.accessorId,
        token,
        authorizer,
        anonymous: token.accessorId === ANONYMOUS_TOKEN_ID,
      },
      expiresAtMs,
    };
  }

  private tokenRules(token: AclTokenRecord, settings: AclSettings): PolicyRules[] {
    const documents: PolicyRules[] = [];
    const policyIds = new Set(token.policies.map((link) => link.id));
    const serviceIdentities = [...token.serviceIdentities];
    const nodeIdentities = [...token.nodeIdentities];
    for (const link of token.roles) {
      const role = this.reads.role(link.id).value;
      if (role === null) continue;
      for (const policy of role.policies) policyIds.add(policy.id);
      serviceIdentities.push(...role.serviceIdentities);
      nodeIdentities.push(...role.nodeIdentities);
    }
    for (const id of policyIds) {
      const policy = this.reads.policy(id).value;
      if (policy === null) continue;
      // A policy limited to other datacenters does not apply here.
      if (policy.datacenters.length > 0 && !policy.datacenters.includes(settings.datacenter)) {
        continue;
      }
      const rules = this.policyRules(id);
      if (rules !== null) documents.push(rules);
    }
    for (const identity of serviceIdentities) {
      if (identity.datacenters.length > 0 && !identity.datacenters.includes(settings.datacenter)) {
        continue;
      }
      documents.push(serviceIdentityRules(identity));
    }
    for (const identity of nodeIdentities) {
      if (identity.datacenter !== settings.datacenter) continue;
      documents.push(nodeIdentityRules(identity));
    }
    return documents;
  }

  // Consul's agent recovery token: this agent's endpoints and reading nodes, nothing else.
  private agentRecovery(settings: AclSettings): ResolvedToken {
    const rules: PolicyRules = {
      named: [
        { resource: 'agent', name: settings.nodeName, prefix: false, access: 'write' },
        { resource: 'node', name: '', prefix: true, access: 'read' },
      ],
      single: {},
    };
    return {
      accessorId: 'agent-recovery-token',
      token: null,
      authorizer: chain([new PolicyAuthorizer([rules]), defaultAuthorizer('deny')]),
      anonymous: false,
    };
  }
}

/** Whether a token links the built-in global-management policy (a management token). */
export function isManagementToken(token: AclTokenRecord): boolean {
  return token.policies.some((link) => link.id === GLOBAL_MANAGEMENT_POLICY_ID);
}
