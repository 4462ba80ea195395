// The `tls` stanza as Consul reads it (agent/config, tlsutil): `tls.defaults` gives every key a
// value that `tls.https` and `tls.internal_rpc` override key by key (the older top-level keys were
// moved onto them by deprecated.ts). The files are read and checked here, so that a missing file,
// a key without its certificate or a key that does not match fails the start naming the setting,
// and the listeners get PEM text they can use as is.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError, type ConfigObject, type ConfigValue } from './normalize';
import { getPath } from './paths';
import type { TlsConfig, TlsProtocolConfig, TlsVersion } from './types';

type Protocol = 'https' | 'internal_rpc';

/** Names a setting as the user wrote it (file, deprecated key), for messages. */
export type DescribeSetting = (path: string, value: ConfigValue) => string;

const plainName: DescribeSetting = (path, value) =>
  typeof value === 'boolean' || typeof value === 'number' ? `${path} = ${value}` : path;

/** Consul's tls_min_version values (and the older tls10…tls13) as Node's names. */
const VERSIONS: Readonly<Record<string, TlsVersion>> = {
  TLS_AUTO: 'TLSv1.2',
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
  tls10: 'TLSv1',
  tls11: 'TLSv1.1',
  tls12: 'TLSv1.2',
  tls13: 'TLSv1.3',
};

/** The cipher suites Consul's agent accepts (IANA names) and OpenSSL's name for each. */
const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
};

/** Builds and checks the HTTPS and internal RPC settings of the merged configuration. */
export function buildTls(
  merged: ConfigObject,
  httpsPort: number,
  describe: DescribeSetting = plainName,
): TlsConfig {
  const https = buildProtocol(merged, 'https', describe);
  if (httpsPort > 0 && https.cert === null) {
    throw new ConfigError(
      `${describe('ports.https', httpsPort)}: HTTPS needs a certificate: set cert_file and key_file in tls.https or tls.defaults`,
    );
  }
  const rpc = buildProtocol(merged, 'internal_rpc', describe);
  const hostnameKey = 'tls.internal_rpc.verify_server_hostname';
  const verifyServerHostname = getPath(merged, hostnameKey) === true;
  // Consul: checking the server's name implies checking its certificate at all.
  if (verifyServerHostname && !rpc.verifyOutgoing) {
    rpc.verifyOutgoing = true;
    requireCa(rpc, describe(hostnameKey, true));
  }
  return { https, internalRpc: { ...rpc, verifyServerHostname } };
}

/** A protocol's own key, else the same key of tls.defaults: the path that set it, and its value. */
function setting(merged: ConfigObject, protocol: Protocol, key: string): [string, unknown] {
  const own = `tls.${protocol}.${key}`;
  const value = getPath(merged, own);
  if (value !== undefined) return [own, value];
  const fallback = `tls.defaults.${key}`;
  return [fallback, getPath(merged, fallback)];
}

function buildProtocol(
  merged: ConfigObject,
  protocol: Protocol,
  describe: DescribeSetting,
): TlsProtocolConfig {
  const text = (key: string): [string, string | null] => {
    const [path, value] = setting(merged, protocol, key);
    const set = typeof value === 'string' && value !== '';
    return [describe(path, set ? value : ''), set ? value : null];
  };
  const flag = (key: string): boolean => setting(merged, protocol, key)[1] === true;
  const [caFileKey, caFile] = text('ca_file');
  const [caPathKey, caPath] = text('ca_path');
  const [certKey, certFile] = text('cert_file');
  const [keyKey, keyFile] = text('key_file');
  const [versionKey, version] = text('tls_min_version');
  const [ciphersKey, ciphers] = text('tls_cipher_suites');

  if (certFile !== null && keyFile === null) {
    throw new ConfigError(`${certKey} is set without a key_file: a certificate needs its key`);
  }
  if (keyFile !== null && certFile === null) {
    throw new ConfigError(`${keyKey} is set without a cert_file: the key has no certificate`);
  }
  // ca_file wins over ca_path, as in Consul.
  const ca =
    caFile !== null
      ? [readCa(caFileKey, caFile)]
      : caPath !== null
        ? readCaPath(caPathKey, caPath)
        : [];
  let cert: string | null = null;
  let key: string | null = null;
  if (certFile !== null && keyFile !== null) {
    cert = readPem(certKey, certFile);
    key = readPem(keyKey, keyFile);
    checkKeyPair(certKey, cert, keyKey, key);
  }
  const minVersion = parseVersion(versionKey, version);
  const cipherList = parseCiphers(ciphersKey, ciphers, minVersion);
  const config: TlsProtocolConfig = {
    ca,
    cert,
    key,
    verifyIncoming: flag('verify_incoming'),
    verifyOutgoing: flag('verify_outgoing'),
    minVersion,
    ciphers: cipherList,
  };
  if (config.verifyIncoming) {
    const incoming = describe(setting(merged, protocol, 'verify_incoming')[0], true);
    requireCa(config, incoming);
    if (config.cert === null) {
      throw new ConfigError(
        `${incoming}: needs this agent's certificate: set cert_file and key_file`,
      );
    }
  }
  if (config.verifyOutgoing) {
    requireCa(config, describe(setting(merged, protocol, 'verify_outgoing')[0], true));
  }
  return config;
}

function requireCa(config: TlsProtocolConfig, setting: string): void {
  if (config.ca.length === 0) {
    throw new ConfigError(`${setting}: no CA certificates were provided: set ca_file or ca_path`);
  }
}

function readPem(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${key}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Every certificate of a CA file must parse; a file without one is an error. */
function readCa(key: string, file: string): string {
  const pem = readPem(key, file);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${key}: ${file} holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(
        `${key}: ${file} holds a certificate that does not parse: ${(error as Error).message}`,
      );
    }
  }
  return pem;
}

/** Consul walks ca_path and reads every file under it. */
function readCaPath(key: string, dir: string): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(path).sort();
    } catch (error) {
      throw new ConfigError(`${key}: cannot read ${path}: ${(error as Error).message}`);
    }
    for (const entry of entries) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(dir);
  if (files.length === 0) throw new ConfigError(`${key}: no CA certificates found in ${dir}`);
  return files.map((file) => readCa(key, file));
}

function checkKeyPair(certKey: string, certPem: string, keyKey: string, keyPem: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw new ConfigError(`${certKey}: not a PEM certificate: ${(error as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (error) {
    throw new ConfigError(`${keyKey}: not a PEM private key: ${(error as Error).message}`);
  }
  if (!cert.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${keyKey}: the key does not belong to the certificate of ${certKey}`);
  }
  // What OpenSSL would refuse when the listener starts (a key too weak for its security level).
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (error) {
    throw new ConfigError(`${certKey}: unusable for TLS: ${(error as Error).message}`);
  }
}

function parseVersion(key: string, value: string | null): TlsVersion {
  if (value === null) return 'TLSv1.2';
  const version = VERSIONS[value];
  if (version === undefined) {
    throw new ConfigError(
      `${key}: no matching TLS version found for ${value}, please specify one of [TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3]`,
    );
  }
  return version;
}

function parseCiphers(key: string, value: string | null, minVersion: TlsVersion): string | null {
  if (value === null) return null;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => CIPHER_SUITES[name] === undefined);
  if (unknown.length > 0) {
    throw new ConfigError(
      `${key}: no matching Consul Agent TLS cipher suite found for ${unknown.join(',')}`,
    );
  }
  if (minVersion === 'TLSv1.3') {
    throw new ConfigError(
      `${key}: cipher suites cannot be chosen when tls_min_version is TLSv1_3 (TLS 1.3 fixes its own)`,
    );
  }
  return names.map((name) => CIPHER_SUITES[name]).join(':');
}
