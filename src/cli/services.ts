// `consulate services register|deregister`: service definitions from flags or from files in the
// agent's config format (JSON or HCL, `service {}` / `services []`), sent to the local agent.
import { readFileSync } from 'node:fs';
import {
  decodeServiceInput,
  DefinitionDecodeError,
  type CheckInput,
  type ServiceInput,
} from '../agent';
import { formatDuration, formatOf, parseConfigText, type FlagSpec } from '../config';
import { AgentHttpClient, HTTP_CLIENT_FLAGS } from './http-client';
import { error, info, parseCommandFlags } from './output';

const HELP = `Usage: consulate services <subcommand> [options] [args]

  Register and deregister services with the local agent: register, deregister.`;

const SUBCOMMANDS: Record<string, (argv: readonly string[]) => Promise<number>> = {
  register: register,
  deregister: deregister,
};

export async function runServices(argv: readonly string[]): Promise<number> {
  const run = argv.length > 0 ? SUBCOMMANDS[argv[0]] : undefined;
  if (run === undefined) {
    const stream = argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' ? info : error;
    stream(`${HELP}\n\nSubcommands:\n    deregister\n    register`);
    return stream === info ? 0 : 1;
  }
  return run(argv.slice(1));
}

const str = (name: string, usage: string): FlagSpec => ({ name, kind: 'string', usage });

async function register(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [
      ...HTTP_CLIENT_FLAGS,
      str('name', 'Name of the service (when no file is given).'),
      str('id', 'ID of the service (default: the name).'),
      str('address', 'Address of the service.'),
      { name: 'port', kind: 'int', usage: 'Port of the service.' },
      { name: 'tag', kind: 'list', usage: 'Tag of the service; may be repeated.' },
      { name: 'meta', kind: 'list', usage: 'Metadata as key=value; may be repeated.' },
    ],
    'Usage: consulate services register [options] [FILE...]',
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values;
  let services: ServiceInput[];
  try {
    if (parsed.args.length > 0) {
      if (values.has('name') || values.has('id')) {
        throw new Error('Files and flags cannot be mixed: give either -name or FILE');
      }
      services = parsed.args.flatMap(servicesOfFile);
    } else {
      const name = (values.get('name') as string | undefined) ?? '';
      if (name === '') throw new Error('Service name must be specified via -name or a file');
      services = [
        {
          ...decodeServiceInput({ name }, 'api'),
          id: (values.get('id') as string | undefined) ?? '',
          address: (values.get('address') as string | undefined) ?? '',
          port: (values.get('port') as number | undefined) ?? 0,
          tags: (values.get('tag') as string[] | undefined) ?? [],
          meta: metaOf((values.get('meta') as string[] | undefined) ?? []),
        },
      ];
    }
  } catch (err) {
    error(`Error: ${(err as Error).message}`);
    return 1;
  }
  const client = AgentHttpClient.fromFlags(values);
  for (const service of services) {
    try {
      await client.expectOk('PUT', '/v1/agent/service/register', {
        body: JSON.stringify(serviceApiBody(service)),
      });
    } catch (err) {
      error(`Error registering service ${JSON.stringify(service.name)}: ${(err as Error).message}`);
      return 1;
    }
    info(`Registered service: ${service.name}`);
  }
  return 0;
}

async function deregister(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(
    argv,
    [...HTTP_CLIENT_FLAGS, str('id', 'ID of the service to deregister.')],
    'Usage: consulate services deregister [options] [FILE...]',
  );
  if (typeof parsed === 'number') return parsed;
  const flagId = (parsed.values.get('id') as string | undefined) ?? '';
  let ids: string[];
  try {
    if (flagId !== '' && parsed.args.length > 0) {
      throw new Error('Files and flags cannot be mixed: give either -id or FILE');
    }
    if (flagId === '' && parsed.args.length === 0) {
      throw new Error('Service ID must be specified via -id or a file');
    }
    ids =
      flagId !== ''
        ? [flagId]
        : parsed.args.flatMap(servicesOfFile).map((s) => (s.id !== '' ? s.id : s.name));
  } catch (err) {
    error(`Error: ${(err as Error).message}`);
    return 1;
  }
  const client = AgentHttpClient.fromFlags(parsed.values);
  for (const id of ids) {
    try {
      await client.expectOk('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
    } catch (err) {
      error(`Error deregistering service ${JSON.stringify(id)}: ${(err as Error).message}`);
      return 1;
    }
    info(`Deregistered service: ${id}`);
  }
  return 0;
}

/** The service definitions of a file in config format (JSON or HCL by extension). */
function servicesOfFile(path: string): ServiceInput[] {
  const format = formatOf(path) ?? 'json';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Failed to read ${path}: ${(err as Error).message}`);
  }
  const { config } = parseConfigText(text, format, path);
  const raw = Array.isArray(config.services) ? config.services : [];
  if (raw.length === 0) throw new Error(`${path}: no service definitions found`);
  return raw.map((definition, i) => {
    try {
      return decodeServiceInput(definition, 'config', `services[${i}]`);
    } catch (err) {
      if (err instanceof DefinitionDecodeError)
        throw new Error(`${path}: ${err.path}: ${err.message}`);
      throw err;
    }
  });
}

function metaOf(pairs: readonly string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`Invalid -meta ${JSON.stringify(pair)}: expected key=value`);
    meta[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return meta;
}

/** The PUT /v1/agent/service/register body for a definition. */
export function serviceApiBody(service: ServiceInput): Record<string, unknown> {
  const body: Record<string, unknown> = {
    Name: service.name,
    ID: service.id,
    Tags: service.tags,
    Address: service.address,
    Port: service.port,
    Meta: service.meta,
    EnableTagOverride: service.enableTagOverride,
  };
  if (service.kind !== '') body.Kind = service.kind;
  if (service.socketPath !== '') body.SocketPath = service.socketPath;
  if (service.token !== '') body.Token = service.token;
  if (service.weights !== null) {
    body.Weights = { Passing: service.weights.passing, Warning: service.weights.warning };
  }
  const tagged = Object.entries(service.taggedAddresses);
  if (tagged.length > 0) {
    body.TaggedAddresses = Object.fromEntries(
      tagged.map(([name, a]) => [name, { Address: a.address, Port: a.port }]),
    );
  }
  if (service.checks.length > 0) body.Checks = service.checks.map(checkApiBody);
  return body;
}

function checkApiBody(check: CheckInput): Record<string, unknown> {
  const d = check.definition;
  const body: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined && value !== '' && value !== false && value !== 0) body[key] = value;
  };
  const duration = (ms: number | undefined): string | undefined =>
    ms === undefined ? undefined : formatDuration(ms);
  set('CheckID', d.id);
  set('Name', d.name);
  set('Notes', d.notes);
  set('Status', check.status);
  set('HTTP', d.http);
  set('Method', d.method);
  set('Header', d.header);
  set('Body', d.body);
  set('TLSServerName', d.tlsServerName);
  set('TLSSkipVerify', d.tlsSkipVerify);
  set('TCP', d.tcp);
  set('UDP', d.udp);
  set('GRPC', d.grpc);
  set('GRPCUseTLS', d.grpcUseTls);
  set('ScriptArgs', d.args);
  set('AliasNode', d.aliasNode);
  set('AliasService', d.aliasService);
  set('Interval', duration(d.interval));
  set('Timeout', duration(d.timeout));
  set('TTL', duration(d.ttl));
  set('DeregisterCriticalServiceAfter', duration(d.deregisterCriticalServiceAfter));
  set('SuccessBeforePassing', d.successBeforePassing);
  set('FailuresBeforeWarning', d.failuresBeforeWarning);
  set('FailuresBeforeCritical', d.failuresBeforeCritical);
  set('OutputMaxSize', d.outputMaxSize);
  set('Token', check.token);
  return body;
}
