// Consul's admission rules for service and check definitions (agent register endpoints and
// config files alike): required names, service address, weights and meta limits, check
// validation, and the defaults of embedded checks (`service:<id>[:<n>]`, `Service '<n>' check`).
import {
  CHECK_STATUSES,
  validateCheckDefinition,
  type CheckDefinition,
  type CheckSource,
  type CheckStatus,
  type CheckType,
} from './checks';
import type { CheckInput, ServiceInput, TaggedAddress } from './definition-decode';

/** An agent service, as /v1/agent/services shows it (Consul's structs.NodeService). */
export interface AgentServiceRecord {
  kind: string;
  id: string;
  service: string;
  tags: string[];
  meta: Record<string, string>;
  port: number;
  address: string;
  socketPath: string;
  taggedAddresses: Record<string, TaggedAddress>;
  weights: { passing: number; warning: number };
  enableTagOverride: boolean;
}

/** A check ready for the agent: validated, id/name defaulted, initial status decided. */
export interface AdmittedCheck {
  definition: CheckDefinition;
  /** The runner it needs. */
  type: CheckType;
  status: CheckStatus;
  token: string;
}

export interface AdmittedService {
  service: AgentServiceRecord;
  checks: AdmittedCheck[];
  token: string;
}

/** A refused definition: the status code and text Consul answers with. */
export class DefinitionError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 500,
    message: string,
  ) {
    super(message);
    this.name = 'DefinitionError';
  }
}

export interface AdmissionOptions {
  source: CheckSource;
  scriptChecksAllowed: (source: CheckSource) => boolean;
}

const ANY_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]']);
const META_KEY = /^[a-zA-Z0-9_-]+$/;
const META_MAX_PAIRS = 64;
const META_KEY_MAX = 128;
const META_VALUE_MAX = 512;

/** Consul's AgentRegisterService checks, in its order; returns the service and its checks. */
export function admitService(input: ServiceInput, options: AdmissionOptions): AdmittedService {
  if (input.name === '') throw new DefinitionError(400, 'Missing service name');
  if (ANY_ADDRESSES.has(input.address)) throw new DefinitionError(400, 'Invalid service address');
  if (input.weights !== null) {
    const problem = weightsProblem(input.weights);
    if (problem !== null) throw new DefinitionError(400, `Invalid Weights: ${problem}`);
  }
  const metaProblem = serviceMetaProblem(input.meta);
  if (metaProblem !== null) throw new DefinitionError(400, `Invalid Service Meta: ${metaProblem}`);
  for (const [name, tagged] of Object.entries(input.taggedAddresses)) {
    if (ANY_ADDRESSES.has(tagged.address)) {
      throw new DefinitionError(400, `Invalid tagged address "${name}": ${tagged.address}`);
    }
  }
  const id = input.id === '' ? input.name : input.id;
  const service: AgentServiceRecord = {
    kind: input.kind,
    id,
    service: input.name,
    tags: input.tags,
    meta: input.meta,
    port: input.port,
    address: input.address,
    socketPath: input.socketPath,
    taggedAddresses: input.taggedAddresses,
    weights: input.weights ?? { passing: 1, warning: 1 },
    enableTagOverride: input.enableTagOverride,
  };
  const many = input.checks.length > 1;
  const checks = input.checks.map((check, i) => {
    const definition: CheckDefinition = {
      ...check.definition,
      id:
        check.definition.id !== ''
          ? check.definition.id
          : `service:${id}${many ? `:${i + 1}` : ''}`,
      name: check.definition.name !== '' ? check.definition.name : `Service '${input.name}' check`,
      serviceId: id,
    };
    if (check.status !== '' && !isStatus(check.status)) {
      throw new DefinitionError(400, "Status for checks must 'passing', 'warning', 'critical'");
    }
    return validated({ ...check, definition }, options);
  });
  return { service, checks, token: input.token };
}

/** Consul's AgentRegisterCheck checks (the ServiceID lookup is the agent's, later). */
export function admitCheck(input: CheckInput, options: AdmissionOptions): AdmittedCheck {
  const definition = { ...input.definition };
  if (definition.name === '') throw new DefinitionError(400, 'Missing check name');
  if (input.status !== '' && !isStatus(input.status)) {
    throw new DefinitionError(400, 'Bad check status');
  }
  if (definition.id === '') definition.id = definition.name;
  return validated({ ...input, definition }, options);
}

function validated(input: CheckInput, options: AdmissionOptions): AdmittedCheck {
  if (input.unsupported !== null) {
    throw new DefinitionError(
      400,
      `Invalid check: ${input.unsupported} checks are not supported by this agent`,
    );
  }
  const result = validateCheckDefinition(input.definition, options);
  if (!result.ok) {
    // The script-check switches are the agent's refusal (500), the rest a bad request.
    throw new DefinitionError(result.error.startsWith('Invalid check') ? 400 : 500, result.error);
  }
  const status = input.status === '' ? 'critical' : (input.status as CheckStatus);
  return {
    definition: { ...result.check, status },
    type: result.type,
    status,
    token: input.token,
  };
}

export function isStatus(value: string): value is CheckStatus {
  return (CHECK_STATUSES as readonly string[]).includes(value);
}

/** structs.ValidateWeights. */
export function weightsProblem(weights: { passing: number; warning: number }): string | null {
  if (weights.passing < 1) return 'Passing must be greater than 0';
  if (weights.warning < 0) return 'Warning must be greater or equal than 0';
  if (weights.passing > 65535 || weights.warning > 65535) {
    return 'Weight must be between 0 and 65535';
  }
  return null;
}

/** structs.ValidateServiceMetadata: pair count, key format and length, reserved prefix. */
export function serviceMetaProblem(meta: Record<string, string>): string | null {
  const keys = Object.keys(meta);
  if (keys.length > META_MAX_PAIRS) {
    return `Service metadata cannot contain more than ${META_MAX_PAIRS} key/value pairs`;
  }
  for (const key of keys) {
    const problem = metaPairProblem(key, meta[key]);
    if (problem !== null) {
      return `Couldn't load metadata pair ('${key}', '${meta[key]}'): ${problem}`;
    }
  }
  return null;
}

/**
 * structs.ValidateNodeMetadata: as the service's rules, worded for nodes; `allowConsulPrefix`
 * lets keys start with `consul-` (prepared-query filters may name Consul's own keys).
 */
export function nodeMetaProblem(
  meta: Record<string, string>,
  allowConsulPrefix: boolean,
): string | null {
  const keys = Object.keys(meta);
  if (keys.length > META_MAX_PAIRS) {
    return `Node metadata cannot contain more than ${META_MAX_PAIRS} key/value pairs`;
  }
  for (const key of keys) {
    const problem = metaPairProblem(key, meta[key], allowConsulPrefix);
    if (problem !== null) {
      return `Couldn't load metadata pair ('${key}', '${meta[key]}'): ${problem}`;
    }
  }
  return null;
}

function metaPairProblem(key: string, value: string, allowConsulPrefix = false): string | null {
  if (key === '') return 'Key cannot be blank';
  if (!META_KEY.test(key)) return 'Key contains invalid characters';
  if (key.length > META_KEY_MAX) return `Key is too long (limit: ${META_KEY_MAX} characters)`;
  if (!allowConsulPrefix && key.startsWith('consul-')) {
    return "Key prefix 'consul-' is reserved for internal use";
  }
  if (value.length > META_VALUE_MAX) {
    return `Value is too long (limit: ${META_VALUE_MAX} characters)`;
  }
  return null;
}
