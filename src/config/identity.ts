// The node ID: configured, or generated once and kept in <data_dir>/node-id (random per run in
// -dev without a data dir). Also makes sure the data dir exists.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './normalize';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ConfigError(`data_dir: cannot create "${dataDir}": ${(err as Error).message}`);
  }
  if (!statSync(dataDir).isDirectory()) {
    throw new ConfigError(`data_dir: "${dataDir}" is not a directory`);
  }
}

export function resolveNodeId(configured: string | null, dataDir: string | null): string {
  if (configured !== null) return configured;
  if (dataDir === null) return randomUUID();
  const path = join(dataDir, 'node-id');
  let stored: string | null = null;
  try {
    stored = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`failed to read ${path}: ${(err as Error).message}`);
    }
  }
  if (stored !== null) {
    if (!UUID.test(stored)) throw new ConfigError(`${path}: invalid node ID "${stored}"`);
    return stored.toLowerCase();
  }
  const generated = randomUUID();
  writeFileSync(path, generated, { mode: 0o600 });
  return generated;
}
