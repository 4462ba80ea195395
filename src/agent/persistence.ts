// Services and checks registered through the API (and maintenance checks) survive a restart, as
// in Consul: one JSON file per service in <data_dir>/services and per check in <data_dir>/checks,
// named by a hash of the ID, written atomically (temporary file, fsync, rename).
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
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { CheckDefinition } from './checks';
import type { AgentServiceRecord } from './definitions';

export interface PersistedService {
  service: AgentServiceRecord;
  token: string;
}

export interface PersistedCheck {
  definition: CheckDefinition;
  token: string;
}

export class AgentPersistence {
  private readonly servicesDir: string;
  private readonly checksDir: string;

  constructor(dataDir: string) {
    this.servicesDir = join(dataDir, 'services');
    this.checksDir = join(dataDir, 'checks');
    mkdirSync(this.servicesDir, { recursive: true });
    mkdirSync(this.checksDir, { recursive: true });
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
