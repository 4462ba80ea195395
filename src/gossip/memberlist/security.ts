// AES-GCM sealing as memberlist's security.go and the keyring of keyring.go.
// Sealed = version byte (0 = PKCS#7-padded plaintext, 1 = unpadded), 12-byte nonce,
// ciphertext + 16-byte tag. The primary key encrypts; every key is tried to decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION_SIZE = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;
export const MAX_ENCRYPTION_VERSION = 1;

export function validateKey(key: Uint8Array): string | null {
  const l = key.length;
  return l === 16 || l === 24 || l === 32 ? null : 'key size must be 16, 24 or 32 bytes';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An ordered set of keys; index 0 is the primary. Errors carry memberlist's texts. */
export class Keyring {
  private keys: Uint8Array[] = [];

  private constructor() {}

  /** Go's NewKeyring: the primary first, then the others; no keys at all is an empty ring. */
  static create(keys: Uint8Array[], primary: Uint8Array | null): Keyring {
    const ring = new Keyring();
    if (keys.length > 0 || (primary !== null && primary.length > 0)) {
      if (primary === null || primary.length === 0) {
        throw new Error('Empty primary key not allowed');
      }
      ring.addKey(primary);
      for (const k of keys) ring.addKey(k);
    }
    return ring;
  }

  addKey(key: Uint8Array): void {
    const bad = validateKey(key);
    if (bad !== null) throw new Error(bad);
    if (this.keys.some((k) => sameBytes(k, key))) return;
    const primary = this.keys[0] ?? key;
    this.install([...this.keys, Uint8Array.from(key)], primary);
  }

  useKey(key: Uint8Array): void {
    const found = this.keys.find((k) => sameBytes(k, key));
    if (found === undefined) throw new Error('Requested key is not in the keyring');
    this.install(this.keys, found);
  }

  removeKey(key: Uint8Array): void {
    if (this.keys.length > 0 && sameBytes(key, this.keys[0])) {
      throw new Error('Removing the primary key is not allowed');
    }
    this.keys = this.keys.filter((k) => !sameBytes(k, key));
  }

  getKeys(): Uint8Array[] {
    return [...this.keys];
  }

  getPrimaryKey(): Uint8Array | null {
    return this.keys[0] ?? null;
  }

  private install(keys: Uint8Array[], primary: Uint8Array): void {
    this.keys = [primary, ...keys.filter((k) => !sameBytes(k, primary))];
  }
}

/** Maximum bytes encryption adds (memberlist's encryptOverhead). */
export function encryptOverhead(version: number): number {
  return version === 0 ? 45 : 29;
}

export function encryptedLength(version: number, inputLength: number): number {
  if (version >= 1) return VERSION_SIZE + NONCE_SIZE + inputLength + TAG_SIZE;
  const padding = BLOCK_SIZE - (inputLength % BLOCK_SIZE);
  return VERSION_SIZE + NONCE_SIZE + inputLength + padding + TAG_SIZE;
}

function cipherName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new Error('key size must be 16, 24 or 32 bytes');
  }
}

export function encryptPayload(
  version: number,
  key: Uint8Array,
  msg: Uint8Array,
  aad: Uint8Array | null,
  nonce: Uint8Array = randomBytes(NONCE_SIZE),
): Uint8Array {
  let plain = msg;
  if (version === 0) {
    const more = BLOCK_SIZE - (msg.length % BLOCK_SIZE);
    plain = new Uint8Array(msg.length + more);
    plain.set(msg);
    plain.fill(more, msg.length);
  }
  const cipher = createCipheriv(cipherName(key), key, nonce, { authTagLength: TAG_SIZE });
  if (aad !== null && aad.length > 0) cipher.setAAD(aad);
  const body = cipher.update(plain);
  const final = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + body.length + final.length + TAG_SIZE);
  out[0] = version;
  out.set(nonce, VERSION_SIZE);
  out.set(body, VERSION_SIZE + NONCE_SIZE);
  out.set(final, VERSION_SIZE + NONCE_SIZE + body.length);
  out.set(tag, out.length - TAG_SIZE);
  return out;
}

function tryDecrypt(key: Uint8Array, msg: Uint8Array, aad: Uint8Array | null): Uint8Array | null {
  try {
    const nonce = msg.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
    const body = msg.subarray(VERSION_SIZE + NONCE_SIZE, msg.length - TAG_SIZE);
    const tag = msg.subarray(msg.length - TAG_SIZE);
    const decipher = createDecipheriv(cipherName(key), key, nonce, { authTagLength: TAG_SIZE });
    if (aad !== null && aad.length > 0) decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const a = decipher.update(body);
    const b = decipher.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  } catch {
    return null;
  }
}

/** Decrypts with each key in turn; throws memberlist's error texts. */
export function decryptPayload(
  keys: Uint8Array[],
  msg: Uint8Array,
  aad: Uint8Array | null,
): Uint8Array {
  if (msg.length === 0) throw new Error('Cannot decrypt empty payload');
  const version = msg[0];
  if (version > MAX_ENCRYPTION_VERSION) {
    throw new Error(`Unsupported encryption version ${version}`);
  }
  if (msg.length < encryptedLength(version, 0)) {
    throw new Error(`Payload is too small to decrypt: ${msg.length}`);
  }
  for (const key of keys) {
    const plain = tryDecrypt(key, msg, aad);
    if (plain === null) continue;
    if (version === 0) {
      // PKCS#7: the last byte says how much padding to drop (Go trusts it; we bound it).
      const pad = plain.length > 0 ? plain[plain.length - 1] : 0;
      if (pad === 0 || pad > BLOCK_SIZE || pad > plain.length) {
        throw new Error('Invalid PKCS7 padding');
      }
      return plain.subarray(0, plain.length - pad);
    }
    return plain;
  }
  throw new Error('No installed keys could decrypt the message');
}
