// Services and checks registered through the API (and maintenance checks) survive a restart, as
// in Consul: one JSON file per service in <data_dir>/services and per check in <data_dir>/checks,
// named by a hash of the ID, written atomically (temporary file, fsync, rename). The last status
// a TTL check was given is kept in <data_dir>/checks/state with an expiry (now + TTL), as Consul's
// persistCheckState/loadCheckState do, so that a restart does not flip healthy services critical.
import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CHECK_STATUSES, type CheckDefinition, type CheckResult, type CheckStatus } from './checks';
import type { AgentServiceRecord } from './definitions';

export interface PersistedService {
  service: AgentServiceRecord;
  token: string;
}

export interface PersistedCheck {
  definition: CheckDefinition;
  token: string;
}

/** A TTL check's last reported state, in Consul's persistedCheckState JSON shape. */
interface PersistedCheckState {
  CheckID: string;
  Output: string;
  Status: string;
  /** Unix seconds after which the state is stale and not restored. */
  Expires: number;
}

export class AgentPersistence {
  private readonly servicesDir: string;
  private readonly checksDir: string;
  private readonly checkStateDir: string;

  constructor(dataDir: string) {
    this.servicesDir = join(dataDir, 'services');
    this.checksDir = join(dataDir, 'checks');
    this.checkStateDir = join(this.checksDir, 'state');
    mkdirSync(this.servicesDir, { recursive: true });
    mkdirSync(this.checkStateDir, { recursive: true });
  }

  saveService(record: PersistedService): void {
    writeAtomically(join(this.servicesDir, fileName(record.service.id)), record);
  }

  removeService(id: string): void {
    rmSync(join(this.servicesDir, fileName(id)), { force: true });
  }

  saveCheck(record: PersistedCheck): void {
    writeAtomically(join(this.checksDir, fileName(record.definition.id)), record);
  }

  removeCheck(id: string): void {
    rmSync(join(this.checksDir, fileName(id)), { force: true });
  }

  /**
   * Records a TTL check's status until `ttlMs` from `nowMs`. Written often (every heartbeat), so
   * like Consul without fsync: a crash loses at most the latest report, never the file.
   */
  saveCheckState(checkId: string, result: CheckResult, ttlMs: number, nowMs: number): void {
    const state: PersistedCheckState = {
      CheckID: checkId,
      Output: result.output,
      Status: result.status,
      Expires: Math.floor((nowMs + ttlMs) / 1000),
    };
    const path = this.checkStatePath(checkId);
    writeFileSync(`${path}.tmp`, JSON.stringify(state), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  /**
   * The state saved for a TTL check, or null when there is none; a state that has expired, or
   * that cannot be read, is deleted (and the latter reported through `warn`).
   */
  loadCheckState(
    checkId: string,
    nowMs: number,
    warn: (message: string) => void,
  ): CheckResult | null {
    const path = this.checkStatePath(checkId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      warn(`failed reading check state ${path}: ${(err as Error).message}`);
      return null;
    }
    const state = parseCheckState(text);
    if (state === null || state.CheckID !== checkId) {
      warn(`failed decoding check state ${path}: not a state of check ${JSON.stringify(checkId)}`);
      this.removeCheckState(checkId);
      return null;
    }
    if (Math.floor(nowMs / 1000) >= state.Expires) {
      this.removeCheckState(checkId);
      return null;
    }
    return { status: state.Status as CheckStatus, output: state.Output };
  }

  removeCheckState(checkId: string): void {
    const path = this.checkStatePath(checkId);
    rmSync(path, { force: true });
    rmSync(`${path}.tmp`, { force: true });
  }

  private checkStatePath(checkId: string): string {
    // Consul's file name: the hex SHA-256 of the check ID.
    return join(this.checkStateDir, createHash('sha256').update(checkId).digest('hex'));
  }

  /** Every readable record; unreadable files are reported through `warn` and skipped. */
  loadServices(warn: (message: string) => void): PersistedService[] {
    return readAll<PersistedService>(this.servicesDir, warn).filter(
      (record) => typeof record.service?.id === 'string',
    );
  }

  loadChecks(warn: (message: string) => void): PersistedCheck[] {
    return readAll<PersistedCheck>(this.checksDir, warn).filter(
      (record) => typeof record.definition?.id === 'string',
    );
  }
}

function parseCheckState(text: string): PersistedCheckState | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const state = value as Record<string, unknown>;
  const valid =
    typeof state.CheckID === 'string' &&
    typeof state.Output === 'string' &&
    typeof state.Status === 'string' &&
    (CHECK_STATUSES as readonly string[]).includes(state.Status) &&
    typeof state.Expires === 'number';
  return valid ? (state as unknown as PersistedCheckState) : null;
}

function fileName(id: string): string {
  return `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`;
}

function writeAtomically(path: string, value: unknown): void {
  const temporary = `${path}.tmp`;
  try {
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(value));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : (error as Error).message;
    throw new Error(`failed to persist ${path}: ${reason}`, { cause: error });
  }
}

function readAll<T>(dir: string, warn: (message: string) => void): T[] {
  const out: T[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!name.endsWith('.json')) {
      // A temporary file left by a crash mid-write: the previous version (if any) is intact.
      if (name.endsWith('.tmp')) rmSync(path, { force: true });
      continue;
    }
    try {
      out.push(JSON.parse(readFileSync(path, 'utf8')) as T);
    } catch (err) {
      warn(`skipping unreadable ${path}: ${(err as Error).message}`);
    }
  }
  return out;
}
