// Deprecated keys current Consul still accepts (its agent/config/deprecated.go). Within one
// source, each is moved onto the key that replaced it unless that source sets the new key too,
// with Consul's warning. What the new key then asks for is judged like any other setting
// (unavailable.ts), under the name the user wrote.
import type { ConfigObject, ConfigValue } from './normalize';
import { deletePath, getPath, setPath } from './paths';

export interface DeprecatedKey {
  /** The key as written (canonical snake_case path). */
  key: string;
  /** Where Consul moved it; the warning names it. */
  replacement: string;
  /** How the value moves: set when the source has no value there (Consul), or appended. */
  carry: 'set' | 'append' | 'drop';
  /** Settings Consul turns on whenever the old key appears (acl_datacenter enables ACLs). */
  implies?: Readonly<Record<string, ConfigValue>>;
  /** Replaces Consul's standard warning. */
  warning?: string;
  /** Added after Consul's warning: what this agent does differently. */
  note?: string;
}

const setKey = (
  key: string,
  replacement: string,
  implies?: Readonly<Record<string, ConfigValue>>,
): DeprecatedKey => ({ key, replacement, carry: 'set', implies });

/** In Consul's order, which matters where two keys move onto the same setting. */
export const DEPRECATED_KEYS: readonly DeprecatedKey[] = [
  setKey('acl.tokens.agent_master', 'acl.tokens.agent_recovery'),
  setKey('acl_agent_master_token', 'acl.tokens.agent_recovery'),
  setKey('acl_agent_token', 'acl.tokens.agent'),
  setKey('acl_token', 'acl.tokens.default'),
  setKey('acl.tokens.master', 'acl.tokens.initial_management'),
  setKey('acl_master_token', 'acl.tokens.initial_management'),
  setKey('acl_replication_token', 'acl.tokens.replication', {
    'acl.enable_token_replication': true,
  }),
  setKey('enable_acl_replication', 'acl.enable_token_replication'),
  // Consul: "when the acl_datacenter config is used it implicitly enables acls".
  setKey('acl_datacenter', 'primary_datacenter', { 'acl.enabled': true }),
  setKey('acl_default_policy', 'acl.default_policy'),
  setKey('acl_down_policy', 'acl.down_policy'),
  setKey('acl_ttl', 'acl.token_ttl'),
  setKey('acl_enable_key_list_policy', 'acl.enable_key_list_policy'),
  { key: 'start_join', replacement: 'retry_join', carry: 'append' },
  { key: 'start_join_wan', replacement: 'retry_join_wan', carry: 'append' },
  {
    key: 'raft_boltdb',
    replacement: 'raft_logstore.boltdb',
    carry: 'drop',
    note: 'It has no effect here: Consulate keeps its Raft log in SQLite, not BoltDB.',
  },
  setKey('ca_file', 'tls.defaults.ca_file'),
  setKey('ca_path', 'tls.defaults.ca_path'),
  setKey('cert_file', 'tls.defaults.cert_file'),
  setKey('key_file', 'tls.defaults.key_file'),
  setKey('tls_cipher_suites', 'tls.defaults.tls_cipher_suites'),
  setKey('tls_min_version', 'tls.defaults.tls_min_version'),
  setKey('verify_incoming', 'tls.defaults.verify_incoming'),
  setKey('verify_incoming_https', 'tls.https.verify_incoming'),
  setKey('verify_incoming_rpc', 'tls.internal_rpc.verify_incoming'),
  setKey('verify_outgoing', 'tls.defaults.verify_outgoing'),
  setKey('verify_server_hostname', 'tls.internal_rpc.verify_server_hostname'),
  {
    key: 'tls_prefer_server_cipher_suites',
    replacement: '',
    carry: 'drop',
    warning: "The 'tls_prefer_server_cipher_suites' field is deprecated and will be ignored.",
  },
  setKey('ui', 'ui_config.enabled'),
];

export interface MappedSource {
  config: ConfigObject;
  /** Consul's deprecation warnings, one per deprecated key found. */
  warnings: string[];
  /** Canonical key → the deprecated key that set it, to name what the user wrote. */
  renamed: Record<string, string>;
}

/** Moves the deprecated keys of one source onto their replacements. */
export function applyDeprecatedKeys(source: ConfigObject): MappedSource {
  const config = structuredClone(source);
  const warnings: string[] = [];
  const renamed: Record<string, string> = {};
  for (const entry of DEPRECATED_KEYS) {
    const value = getPath(config, entry.key);
    if (value === undefined) continue;
    deletePath(config, entry.key);
    warnings.push(deprecationWarning(entry));
    const current = getPath(config, entry.replacement);
    if (entry.carry === 'set' && current === undefined) {
      setPath(config, entry.replacement, value);
      renamed[entry.replacement] = entry.key;
    } else if (entry.carry === 'append') {
      setPath(config, entry.replacement, [
        ...(Array.isArray(current) ? current : []),
        ...(value as ConfigValue[]),
      ]);
    }
    for (const [path, implied] of Object.entries(entry.implies ?? {})) {
      setPath(config, path, implied);
      renamed[path] = entry.key;
    }
  }
  return { config, warnings, renamed };
}

function deprecationWarning(entry: DeprecatedKey): string {
  const warning =
    entry.warning ??
    `The '${entry.key}' field is deprecated. Use the '${entry.replacement}' field instead.`;
  return entry.note === undefined ? warning : `${warning} ${entry.note}`;
}
