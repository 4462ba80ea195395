// Deciding a permission from rules, as Consul's policy authorizer (acl/policy_authorizer.go):
// per resource name an exact rule wins over any prefix rule, otherwise the longest matching
// prefix wins; no match falls through to the next authorizer of the chain (in the end the
// agent's default_policy). Rules of several policies on one token are merged per
// (resource, name, exact|prefix): deny wins, else the most permissive level.
import type {
  AccessLevel,
  NamedResource,
  NamedRule,
  PolicyRules,
  Resource,
  SingleResource,
} from './rules';

/** What a request needs: read, list (keys only) or write. */
export type Access = 'read' | 'list' | 'write';

/** An authorizer's answer: allow, deny, or "no rule here" (ask the next in the chain). */
export type Decision = 'allow' | 'deny' | 'default';

export interface Authorizer {
  /** `name` is ignored for single-valued resources (operator, acl, keyring, mesh, peering). */
  decide(resource: Resource, name: string, access: Access): Decision;
  /**
   * Recursive KV delete: write on the prefix and no rule under it that lacks write
   * (Consul's KeyWritePrefix).
   */
  decideKeyWritePrefix(prefix: string): Decision;
}

const RANK: Readonly<Record<AccessLevel, number>> = { read: 1, list: 2, write: 3, deny: 4 };

/** The level a merged rule keeps: deny wins, otherwise the most permissive. */
export function mergeLevel(a: AccessLevel, b: AccessLevel): AccessLevel {
  if (a === 'deny' || b === 'deny') return 'deny';
  return RANK[a] >= RANK[b] ? a : b;
}

/** Whether a rule of `level` grants `access` (write ⊃ list ⊃ read; deny grants nothing). */
export function grants(level: AccessLevel, access: Access): boolean {
  if (level === 'deny') return false;
  if (access === 'read') return true;
  if (access === 'list') return level === 'list' || level === 'write';
  return level === 'write';
}

interface ResourceRules {
  exact: Map<string, AccessLevel>;
  prefixes: Map<string, AccessLevel>;
  /** Distinct prefix lengths, longest first: the longest match is found in that order. */
  lengths: number[];
}

/** The rules of one or more policies, merged and indexed for lookups. */
export class PolicyAuthorizer implements Authorizer {
  private readonly named = new Map<NamedResource, ResourceRules>();
  private readonly single = new Map<SingleResource, AccessLevel>();

  constructor(documents: readonly PolicyRules[]) {
    for (const document of documents) {
      for (const rule of document.named) this.addNamed(rule);
      for (const [resource, level] of Object.entries(document.single)) {
        const previous = this.single.get(resource as SingleResource);
        const merged = previous === undefined ? level : mergeLevel(previous, level);
        this.single.set(resource as SingleResource, merged);
      }
    }
    for (const rules of this.named.values()) {
      rules.lengths = [...new Set([...rules.prefixes.keys()].map((p) => p.length))].sort(
        (a, b) => b - a,
      );
    }
  }

  decide(resource: Resource, name: string, access: Access): Decision {
    const level = this.levelFor(resource, name);
    if (level === undefined) return 'default';
    return grants(level, access) ? 'allow' : 'deny';
  }

  decideKeyWritePrefix(prefix: string): Decision {
    const own = this.decide('key', prefix, 'write');
    if (own === 'deny') return 'deny';
    const rules = this.named.get('key');
    if (rules !== undefined) {
      for (const table of [rules.exact, rules.prefixes]) {
        for (const [name, level] of table) {
          if (name.startsWith(prefix) && level !== 'write') return 'deny';
        }
      }
    }
    return own;
  }

  /** The level of the rule that governs `name`, or undefined when none does. */
  levelFor(resource: Resource, name: string): AccessLevel | undefined {
    const rules = this.named.get(resource as NamedResource);
    if (rules === undefined) {
      const level = this.single.get(resource as SingleResource);
      // Consul: without a mesh rule, the operator rule decides mesh access.
      if (level === undefined && resource === 'mesh') return this.single.get('operator');
      return level;
    }
    const exact = rules.exact.get(name);
    if (exact !== undefined) return exact;
    for (const length of rules.lengths) {
      if (length > name.length) continue;
      const level = rules.prefixes.get(name.slice(0, length));
      if (level !== undefined) return level;
    }
    return undefined;
  }

  private addNamed(rule: NamedRule): void {
    let rules = this.named.get(rule.resource);
    if (rules === undefined) {
      rules = { exact: new Map(), prefixes: new Map(), lengths: [] };
      this.named.set(rule.resource, rules);
    }
    const table = rule.prefix ? rules.prefixes : rules.exact;
    const previous = table.get(rule.name);
    table.set(rule.name, previous === undefined ? rule.access : mergeLevel(previous, rule.access));
  }
}

/** Management tokens (and ACLs off): everything is allowed. */
export const MANAGE_ALL: Authorizer = {
  decide: () => 'allow',
  decideKeyWritePrefix: () => 'allow',
};

/** The end of every chain: the agent's default_policy. */
export function defaultAuthorizer(policy: 'allow' | 'deny'): Authorizer {
  return {
    decide: () => policy,
    decideKeyWritePrefix: () => policy,
  };
}

/** Asks each authorizer in turn until one has a rule; the last should never say 'default'. */
export function chain(authorizers: readonly Authorizer[]): Authorizer {
  return {
    decide(resource, name, access) {
      for (const authorizer of authorizers) {
        const decision = authorizer.decide(resource, name, access);
        if (decision !== 'default') return decision;
      }
      return 'deny';
    },
    decideKeyWritePrefix(prefix) {
      for (const authorizer of authorizers) {
        const decision = authorizer.decideKeyWritePrefix(prefix);
        if (decision !== 'default') return decision;
      }
      return 'deny';
    },
  };
}
