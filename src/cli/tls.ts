// `consulate tls ca create` and `consulate tls cert create -server|-client|-cli`, as Consul's
// `consul tls`: files named as Consul names them, written in the current directory.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FlagSpec } from '../config';
import { certName, createCa, createCert, type CertKind } from '../pki';
import { error, info, parseCommandFlags } from './output';

const USAGE = `Usage: consulate tls <subcommand> <subcommand> [options]

  Helps set up a CA and certificates for the agents' TLS.

  Create a CA:

      $ consulate tls ca create

  Create a server certificate:

      $ consulate tls cert create -server

Subcommands:
    ca      Helpers for CAs
    cert    Helpers for certificates`;

const CA_FLAGS: readonly FlagSpec[] = [
  {
    name: 'days',
    kind: 'int',
    usage: 'Number of days the CA is valid for. Defaults to 1825 days (approximately 5 years).',
    placeholder: 'int',
  },
  {
    name: 'domain',
    kind: 'string',
    usage:
      'Domain of the cluster; names the files (<domain>-agent-ca.pem) and, with -name-constraint, is permitted. Defaults to consul.',
    placeholder: 'string',
  },
  {
    name: 'name-constraint',
    kind: 'bool',
    usage:
      'The CA may only sign certificates for -domain, localhost and the -additional-name-constraint domains (an X.509 name constraint).',
  },
  {
    name: 'additional-name-constraint',
    kind: 'list',
    usage: 'Another domain the CA may sign for, with -name-constraint. May be given several times.',
    placeholder: 'string',
  },
];

const CERT_FLAGS: readonly FlagSpec[] = [
  {
    name: 'ca',
    kind: 'string',
    usage: 'Path to the CA. Defaults to #DOMAIN#-agent-ca.pem.',
    placeholder: 'string',
  },
  {
    name: 'key',
    kind: 'string',
    usage: 'Path to the CA key. Defaults to #DOMAIN#-agent-ca-key.pem.',
    placeholder: 'string',
  },
  { name: 'server', kind: 'bool', usage: 'Generate server certificate.' },
  { name: 'client', kind: 'bool', usage: 'Generate client certificate.' },
  { name: 'cli', kind: 'bool', usage: 'Generate cli certificate.' },
  {
    name: 'node',
    kind: 'string',
    usage: 'With -server: also include the DNS name <node>.server.<datacenter>.<domain>.',
    placeholder: 'string',
  },
  {
    name: 'days',
    kind: 'int',
    usage: 'Number of days the certificate is valid for. Defaults to 365 (1 year).',
    placeholder: 'int',
  },
  {
    name: 'dc',
    kind: 'string',
    usage: 'Datacenter. Matters only for -server certificates. Defaults to dc1.',
    placeholder: 'string',
  },
  {
    name: 'domain',
    kind: 'string',
    usage: 'Domain. Matters only for -server certificates. Defaults to consul.',
    placeholder: 'string',
  },
  {
    name: 'additional-dnsname',
    kind: 'list',
    usage:
      'An additional DNS name for Subject Alternative Names; localhost is always included. May be given several times.',
    placeholder: 'string',
  },
  {
    name: 'additional-ipaddress',
    kind: 'list',
    usage:
      'An additional IP address for Subject Alternative Names; 127.0.0.1 is always included. May be given several times.',
    placeholder: 'string',
  },
];

const SERVER_WARNING = `==> WARNING: Server Certificates grants authority to become a
    server and access all state in the cluster including root keys
    and all ACL tokens. Do not distribute them to production hosts
    that are not server nodes. Store them as securely as CA keys.`;

export async function runTls(argv: readonly string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  if (group === 'ca' && action === 'create') return createCaCommand(rest);
  if (group === 'cert' && action === 'create') return createCertCommand(rest);
  const help = group === undefined || group === '-h' || group === '--help' || action === '-h';
  (help ? info : error)(USAGE);
  return help ? 0 : 1;
}

async function createCaCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    CA_FLAGS,
    'Usage: consulate tls ca create [options]\n\n  Create a new CA:\n\n  $ consulate tls ca create\n  ==> Saved consul-agent-ca.pem\n  ==> Saved consul-agent-ca-key.pem',
  );
  if (typeof parsed === 'number') return parsed;
  const domain = (parsed.values.get('domain') as string | undefined) ?? 'consul';
  const days = (parsed.values.get('days') as number | undefined) ?? 1825;
  if (days <= 0) {
    error('-days must be a positive number of days');
    return 1;
  }
  const certFile = `${domain}-agent-ca.pem`;
  const keyFile = `${domain}-agent-ca-key.pem`;
  for (const file of [certFile, keyFile]) {
    if (existsSync(file)) {
      error(`${file} already exists.`);
      return 1;
    }
  }
  const constraints =
    parsed.values.get('name-constraint') === true
      ? [
          ...((parsed.values.get('additional-name-constraint') as string[] | undefined) ?? []),
          domain,
          'localhost',
        ]
      : [];
  const ca = await createCa(days, constraints);
  writeFileSync(certFile, ca.cert, { mode: 0o644 });
  info(`==> Saved ${certFile}`);
  writeFileSync(keyFile, ca.key, { mode: 0o600 });
  info(`==> Saved ${keyFile}`);
  return 0;
}

async function createCertCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    CERT_FLAGS,
    'Usage: consulate tls cert create [options]\n\n  Create a new certificate signed by the CA:\n\n  $ consulate tls cert create -server\n  ==> Using consul-agent-ca.pem and consul-agent-ca-key.pem\n  ==> Saved dc1-server-consul-0.pem\n  ==> Saved dc1-server-consul-0-key.pem',
  );
  if (typeof parsed === 'number') return parsed;
  const flag = (name: string): boolean => parsed.values.get(name) === true;
  const text = (name: string, fallback: string): string =>
    (parsed.values.get(name) as string | undefined) ?? fallback;
  const kinds = (['server', 'client', 'cli'] as const).filter((kind) => flag(kind));
  if (kinds.length !== 1) {
    error('Please provide either -server, -client, or -cli');
    return 1;
  }
  const kind: CertKind = kinds[0];
  const node = text('node', '');
  if (node !== '' && kind !== 'server') {
    error('-node requires -server');
    return 1;
  }
  const domain = text('domain', 'consul');
  const datacenter = text('dc', 'dc1');
  const days = (parsed.values.get('days') as number | undefined) ?? 365;
  if (days <= 0) {
    error('-days must be a positive number of days');
    return 1;
  }
  const caFile = text('ca', '#DOMAIN#-agent-ca.pem').replace('#DOMAIN#', domain);
  const keyFile = text('key', '#DOMAIN#-agent-ca-key.pem').replace('#DOMAIN#', domain);
  if (caFile === '' || keyFile === '') {
    error(caFile === '' ? 'Please provide the ca' : 'Please provide the key');
    return 1;
  }
  const target = freeFileNames(`${datacenter}-${kind}-${domain}`);
  if (target === null) {
    error("Could not find a filename that doesn't already exist");
    return 1;
  }
  let ca: { cert: string; key: string };
  try {
    ca = { cert: readFileSync(caFile, 'utf8'), key: '' };
  } catch (err) {
    error(`Error reading CA: ${(err as Error).message}`);
    return 1;
  }
  try {
    ca.key = readFileSync(keyFile, 'utf8');
  } catch (err) {
    error(`Error reading CA key: ${(err as Error).message}`);
    return 1;
  }
  if (kind === 'server') info(SERVER_WARNING);
  info(`==> Using ${caFile} and ${keyFile}`);
  let pair: { cert: string; key: string };
  try {
    pair = await createCert(ca, {
      kind,
      datacenter,
      domain,
      days,
      node,
      dnsNames: (parsed.values.get('additional-dnsname') as string[] | undefined) ?? [],
      ipAddresses: (parsed.values.get('additional-ipaddress') as string[] | undefined) ?? [],
    });
  } catch (err) {
    error(
      `Error creating the ${certName(kind, datacenter, domain)} certificate: ${(err as Error).message}`,
    );
    return 1;
  }
  writeFileSync(target.cert, pair.cert, { mode: 0o644 });
  info(`==> Saved ${target.cert}`);
  writeFileSync(target.key, pair.key, { mode: 0o600 });
  info(`==> Saved ${target.key}`);
  return 0;
}

/** The first `<prefix>-N.pem` / `<prefix>-N-key.pem` pair where neither file exists yet. */
function freeFileNames(prefix: string): { cert: string; key: string } | null {
  for (let i = 0; i <= 10_000; i += 1) {
    const cert = `${prefix}-${i}.pem`;
    const key = `${prefix}-${i}-key.pem`;
    if (!existsSync(cert) && !existsSync(key)) return { cert, key };
  }
  return null;
}
