// @peculiar/x509 needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { id_ce_nameConstraints, NameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { createCa, createCert } from './index';

const DAY_MS = 86_400_000;

test('the CA is a self-signed ECDSA P-256 CA valid for the days asked', async () => {
  const ca = await createCa(1825);
  const cert = new X509Certificate(ca.cert);
  assert.equal(cert.ca, true);
  assert.equal(cert.subject, cert.issuer);
  assert.ok(cert.verify(cert.publicKey));
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY_MS;
  assert.ok(Math.abs(days - 1825) < 1, String(days));
  assert.match(ca.key, /^-----BEGIN EC PRIVATE KEY-----/);
  assert.ok(cert.checkPrivateKey(createPrivateKey(ca.key)));
});

test('a server certificate names server.<dc>.<domain>, the node, localhost and 127.0.0.1', async () => {
  const ca = await createCa(30);
  const pair = await createCert(ca, {
    kind: 'server',
    datacenter: 'east',
    domain: 'example',
    days: 10,
    node: 'n1',
    dnsNames: ['extra.example.com'],
    ipAddresses: ['10.0.0.7'],
  });
  const cert = new X509Certificate(pair.cert);
  const issuer = new X509Certificate(ca.cert);
  assert.ok(cert.checkIssued(issuer));
  assert.ok(cert.verify(issuer.publicKey));
  assert.equal(cert.ca, false);
  assert.match(cert.subject, /CN=server\.east\.example/);
  assert.equal(
    cert.subjectAltName,
    'DNS:extra.example.com, DNS:n1.server.east.example, DNS:server.east.example, DNS:localhost, IP Address:10.0.0.7, IP Address:127.0.0.1',
  );
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.checkHost('server.east.example'), 'server.east.example');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.ok(cert.checkPrivateKey(createPrivateKey(pair.key)));
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY_MS;
  assert.ok(Math.abs(days - 10) < 1, String(days));
});

test('a CLI certificate has no IP address and no extended key usage', async () => {
  const ca = await createCa(30);
  const cert = new X509Certificate(
    (await createCert(ca, { kind: 'cli', datacenter: 'dc1', domain: 'consul', days: 30 })).cert,
  );
  assert.equal(cert.subjectAltName, 'DNS:cli.dc1.consul, DNS:localhost');
  assert.equal(cert.keyUsage, undefined);
});

test('a malformed IP address or a CA key that is not EC is refused', async () => {
  const ca = await createCa(30);
  await assert.rejects(
    createCert(ca, {
      kind: 'client',
      datacenter: 'dc1',
      domain: 'consul',
      days: 1,
      ipAddresses: ['300.1.1.1'],
    }),
    /invalid IP address "300\.1\.1\.1"/,
  );
  await assert.rejects(
    createCert(
      { cert: ca.cert, key: 'not a key' },
      { kind: 'client', datacenter: 'dc1', domain: 'consul', days: 1 },
    ),
    /the CA key is not a PEM private key/,
  );
});

test('-name-constraint: the CA permits only the domains given, as a critical extension', async () => {
  const ca = await createCa(30, ['consul', 'localhost']);
  const extension = new x509.X509Certificate(ca.cert).getExtension(id_ce_nameConstraints);
  assert.ok(extension !== null);
  assert.equal(extension.critical, true);
  const parsed = AsnConvert.parse(extension.value, NameConstraints);
  assert.deepEqual(
    [...(parsed.permittedSubtrees ?? [])].map((subtree) => subtree.base.dNSName),
    ['consul', 'localhost'],
  );
  const plain = await createCa(30);
  assert.equal(new x509.X509Certificate(plain.cert).getExtension(id_ce_nameConstraints), null);
});
