// Certificates for the agents' TLS, as `consul tls ca create` and `consul tls cert create` make
// them: an ECDSA P-256 CA valid for 5 years, and leaf certificates it signs for a server
// (`server.<dc>.<domain>`), a client (`client.<dc>.<domain>`) or the CLI (`cli.<dc>.<domain>`),
// each with `localhost` (and, for servers and clients, 127.0.0.1) among its names. X.509 and
// ASN.1 are @peculiar/x509's; keys come from Node's WebCrypto and are written as SEC1 PEM
// ("EC PRIVATE KEY"), the form Consul writes and reads.
import { KeyObject, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  id_ce_nameConstraints,
  NameConstraints,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface PemPair {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, SEC1 PEM. */
  key: string;
}

export type CertKind = 'server' | 'client' | 'cli';

export interface CertRequest {
  kind: CertKind;
  datacenter: string;
  /** Without a trailing dot (`consul`). */
  domain: string;
  days: number;
  /** -node: servers also get `<node>.server.<dc>.<domain>`. */
  node?: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
}

/**
 * A self-signed CA that may sign certificates (and CRLs), valid `days` days from now. With
 * `permittedDnsDomains` (Consul's -name-constraint) it may only sign names under those domains
 * (a critical X.509 name constraint).
 */
export async function createCa(
  days: number,
  permittedDnsDomains: readonly string[] = [],
): Promise<PemPair> {
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const serial = serialNumber();
  const name = `CN=Consulate Agent CA ${BigInt(`0x${serial}`).toString(10)}, O=Consulate`;
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name,
    notBefore: now,
    notAfter: new Date(now.getTime() + days * DAY_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
      ...(permittedDnsDomains.length > 0 ? [nameConstraints(permittedDnsDomains)] : []),
    ],
  });
  return { cert: cert.toString('pem'), key: await sec1Pem(keys.privateKey) };
}

/** The critical nameConstraints extension permitting only `domains` (and their subdomains). */
function nameConstraints(domains: readonly string[]): x509.Extension {
  const permitted = new GeneralSubtrees(
    domains.map((dNSName) => new GeneralSubtree({ base: new GeneralName({ dNSName }) })),
  );
  const value = AsnConvert.serialize(new NameConstraints({ permittedSubtrees: permitted }));
  return new x509.Extension(id_ce_nameConstraints, true, value);
}

/** The common name of a certificate of `kind`: `server.dc1.consul`. */
export function certName(kind: CertKind, datacenter: string, domain: string): string {
  return `${kind}.${datacenter}.${domain}`;
}

/**
 * A certificate signed by the CA (`ca`: its certificate and key, PEM), with the names Consul
 * gives each kind. Throws when the CA's files do not hold a certificate and an EC key.
 */
export async function createCert(ca: PemPair, request: CertRequest): Promise<PemPair> {
  const issuer = new x509.X509Certificate(ca.cert);
  const signingKey = await importSigningKey(ca.key);
  const name = certName(request.kind, request.datacenter, request.domain);
  const dns = (request.dnsNames ?? []).map((d) => d.trim()).filter((d) => d !== '');
  const ips = (request.ipAddresses ?? []).map((i) => i.trim()).filter((i) => i !== '');
  for (const ip of ips) {
    if (isIP(ip) === 0) throw new Error(`invalid IP address "${ip}"`);
  }
  if (request.kind === 'server' && request.node !== undefined && request.node !== '') {
    dns.push(`${request.node}.${name}`);
  }
  dns.push(name, 'localhost');
  if (request.kind !== 'cli') ips.push('127.0.0.1');
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = new Date();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey),
    new x509.SubjectAlternativeNameExtension([
      ...dns.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
  ];
  // Servers and clients both serve and dial (Consul gives both usages to each); the CLI only dials.
  if (request.kind !== 'cli') {
    extensions.push(
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${name}`,
    issuer: issuer.subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + request.days * DAY_MS),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: SIGNING,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await sec1Pem(keys.privateKey) };
}

/** 128 random bits, as Consul's serial numbers, positive (first bit clear) and in hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

async function sec1Pem(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'sec1', format: 'pem' }) as string;
}

/** The CA's EC private key (SEC1 or PKCS#8 PEM) as a WebCrypto signing key. */
async function importSigningKey(pem: string): Promise<CryptoKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`the CA key is not a PEM private key: ${(error as Error).message}`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
  if (key.asymmetricKeyType !== 'ec' || namedCurve === undefined) {
    throw new Error('the CA key must be an ECDSA key on P-256 or P-384, as Consul makes them');
  }
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
}
