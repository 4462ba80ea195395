// Consul's ACL rule language (acl/policy.go): a policy's Rules text, HCL or JSON, parsed into a
// flat list of rules. Named resources come in an exact form (`key "a/b"`) and a prefix form
// (`key_prefix "a/"`); single-valued ones (`operator = "read"`) have no name.
import * as hcl from 'js-hcl-parser';

export type AccessLevel = 'read' | 'list' | 'write' | 'deny';

export const NAMED_RESOURCES = [
  'agent',
  'event',
  'key',
  'node',
  'query',
  'service',
  'session',
] as const;
export type NamedResource = (typeof NAMED_RESOURCES)[number];

export const SINGLE_RESOURCES = ['acl', 'keyring', 'operator', 'mesh', 'peering'] as const;
export type SingleResource = (typeof SINGLE_RESOURCES)[number];

export type Resource = NamedResource | SingleResource;

export interface NamedRule {
  resource: NamedResource;
  name: string;
  prefix: boolean;
  access: AccessLevel;
}

export interface PolicyRules {
  named: NamedRule[];
  single: Partial<Record<SingleResource, AccessLevel>>;
}

/** A rules document that is not valid; the message names the rule or the line. */
export class PolicyRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyRulesError';
  }
}

const NAMED: ReadonlySet<string> = new Set(NAMED_RESOURCES);
const SINGLE: ReadonlySet<string> = new Set(SINGLE_RESOURCES);
const LEVELS: ReadonlySet<string> = new Set(['read', 'write', 'deny']);
const KEY_LEVELS: ReadonlySet<string> = new Set(['read', 'list', 'write', 'deny']);
/** Keys a named rule's block may hold besides `policy` (accepted; Connect is not served). */
const BLOCK_EXTRAS: Readonly<Record<string, ReadonlySet<string>>> = {
  service: new Set(['intentions']),
};
const ENTERPRISE = new Set(['namespace', 'namespace_prefix', 'partition', 'partition_prefix']);

/** Parses a policy's Rules (HCL, or JSON when it starts with `{`); "" means no rules. */
export function parsePolicyRules(text: string): PolicyRules {
  const rules: PolicyRules = { named: [], single: {} };
  if (text.trim() === '') return rules;
  const document = text.trimStart().startsWith('{') ? parseJsonText(text) : parseHclText(text);
  for (const [key, value] of Object.entries(document)) {
    if (SINGLE.has(key)) {
      rules.single[key as SingleResource] = singleLevel(key, value);
      continue;
    }
    const resource = key.endsWith('_prefix') ? key.slice(0, -'_prefix'.length) : key;
    if (NAMED.has(resource)) {
      for (const [name, block] of namedBlocks(key, value)) {
        rules.named.push(namedRule(resource as NamedResource, key, name, block));
      }
      continue;
    }
    if (ENTERPRISE.has(key)) {
      throw new PolicyRulesError(`${key} rules are only valid in Consul Enterprise`);
    }
    throw new PolicyRulesError(`unknown resource ${JSON.stringify(key)}`);
  }
  return rules;
}

function parseJsonText(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PolicyRulesError(`invalid JSON rules: ${(error as Error).message}`);
  }
  return asObject(parsed, 'rules');
}

function parseHclText(text: string): Record<string, unknown> {
  const output = hcl.parse(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    // js-hcl-parser answers a parse failure as text: `unable to parse JSON: At L:C: …`.
    throw new PolicyRulesError(
      `invalid HCL rules: ${output.replace(/^unable to parse JSON: /, '')}`,
    );
  }
  return asObject(parsed, 'rules');
}

function singleLevel(key: string, value: unknown): AccessLevel {
  if (typeof value !== 'string' || !LEVELS.has(value)) {
    throw new PolicyRulesError(`Invalid ${key} policy: ${JSON.stringify(value)}`);
  }
  return value as AccessLevel;
}

// HCL gives `[{name: [{...}]}, …]`; JSON gives `{name: {...}}`; both may mix the two.
function namedBlocks(key: string, value: unknown): [string, Record<string, unknown>][] {
  const blocks: [string, Record<string, unknown>][] = [];
  for (const group of Array.isArray(value) ? value : [value]) {
    for (const [name, body] of Object.entries(asObject(group, key))) {
      for (const block of Array.isArray(body) ? body : [body]) {
        blocks.push([name, asObject(block, `${key} ${JSON.stringify(name)}`)]);
      }
    }
  }
  return blocks;
}

function namedRule(
  resource: NamedResource,
  key: string,
  name: string,
  block: Record<string, unknown>,
): NamedRule {
  const rule = `${key} ${JSON.stringify(name)}`;
  const extras = BLOCK_EXTRAS[resource];
  for (const field of Object.keys(block)) {
    if (field !== 'policy' && extras?.has(field) !== true) {
      throw new PolicyRulesError(`${rule}: unknown field ${JSON.stringify(field)}`);
    }
  }
  const levels = resource === 'key' ? KEY_LEVELS : LEVELS;
  const policy = block.policy;
  if (typeof policy !== 'string' || !levels.has(policy)) {
    throw new PolicyRulesError(
      `Invalid ${key} policy: ${rule} { policy = ${JSON.stringify(policy ?? null)} }`,
    );
  }
  return { resource, name, prefix: key !== resource, access: policy as AccessLevel };
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyRulesError(`${field}: expected a block, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}
