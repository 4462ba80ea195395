// The keyring file (serf writeKeyringFile; read by Consul's and serf's agents at start): a JSON
// array of base64 keys, primary first, mode 0600.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

const VALID_KEY_SIZES = [16, 24, 32];

/** Decodes one base64 key; errors name the key as serf's agent does. */
export function decodeKey(encoded: string): Uint8Array {
  // Buffer.from ignores invalid base64 characters: check the alphabet first, as Go's decoder does.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error(
      `Failed to decode key from base64: illegal base64 data in ${JSON.stringify(encoded)}`,
    );
  }
  const key = new Uint8Array(Buffer.from(encoded, 'base64'));
  if (!VALID_KEY_SIZES.includes(key.length)) throw new Error('key size must be 16, 24 or 32 bytes');
  return key;
}

export function encodeKey(key: Uint8Array): string {
  return Buffer.from(key).toString('base64');
}

/** Reads a keyring file: the keys, primary first. */
export function readKeyringFile(path: string): Uint8Array[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Failed to read keyring file: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`Failed to decode keys: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.some((k) => typeof k !== 'string')) {
    throw new Error(`Failed to decode keys: ${path} must hold a JSON array of base64 strings`);
  }
  if (parsed.length === 0) throw new Error('no keys present in keyring file: ' + path);
  return (parsed as string[]).map(decodeKey);
}

/** Writes the keyring file as serf does (indented JSON array, mode 0600). */
export function writeKeyringFile(path: string, keys: Uint8Array[]): void {
  const body = JSON.stringify(keys.map(encodeKey), null, 2);
  try {
    writeFileSync(path, body, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (err) {
    throw new Error(`Failed to write keyring file: ${(err as Error).message}`);
  }
}
