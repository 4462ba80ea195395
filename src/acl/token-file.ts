// acl.enable_token_persistence: the agent tokens set through PUT /v1/agent/token/:name are kept
// in <data_dir>/acl-tokens.json, as Consul keeps them (agent/token/persistence.go), and loaded
// again at start, where they take precedence over the configuration's tokens.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Consul's file name under data_dir. */
export const TOKENS_FILE = 'acl-tokens.json';

/** The tokens Consul persists, under their JSON keys (empty ones are left out). */
export const PERSISTED_TOKENS = ['replication', 'agent_recovery', 'default', 'agent'] as const;

export class AgentTokenFile {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, TOKENS_FILE);
  }

  /**
   * The persisted tokens by name ({} when there is no file yet). Throws, saying why, when the
   * file cannot be read or decoded. Consul's older `agent_master` is read as `agent_recovery`.
   */
  load(): Record<string, string> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`failed reading tokens file "${this.path}": ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`failed to decode tokens file "${this.path}": ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`failed to decode tokens file "${this.path}": not a JSON object`);
    }
    const fields = parsed as Record<string, unknown>;
    const tokens: Record<string, string> = {};
    for (const name of PERSISTED_TOKENS) {
      const value = fields[name];
      if (typeof value === 'string' && value !== '') tokens[name] = value;
    }
    const legacy = fields.agent_master;
    if (tokens.agent_recovery === undefined && typeof legacy === 'string' && legacy !== '') {
      tokens.agent_recovery = legacy;
    }
    return tokens;
  }

  /** Writes the non-empty persisted tokens of `tokens` atomically, readable by the owner only. */
  save(tokens: ReadonlyMap<string, string>): void {
    const kept: Record<string, string> = {};
    for (const name of PERSISTED_TOKENS) {
      const value = tokens.get(name);
      if (value !== undefined && value !== '') kept[name] = value;
    }
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(kept), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
