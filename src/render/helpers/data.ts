// Helpers that read watched data: KV, services, nodes, files, environment. Each records what it
// read in the render's context; with no answer yet it returns an empty value of its kind.
import { resolve } from 'node:path';

import {
  agentSelfDependency,
  catalogNodeDependency,
  catalogNodesDependency,
  catalogServicesDependency,
  fileDependency,
  healthDependency,
  kvKeyDependency,
  kvPrefixDependency,
  parseServiceSpec,
} from '../dependency';
import type {
  CatalogNodeDetail,
  CatalogNodeSummary,
  CatalogServiceSummary,
  HealthService,
  KvPair,
} from '../decode';
import { stringArg, type HelperBody, type HelperCall } from './call';

/** `@dc` as the services/nodes helpers take it; a hash `dc=` wins. */
function datacenterOf(call: HelperCall, spec: string | undefined): string | null {
  if (typeof call.hash.dc === 'string' && call.hash.dc !== '') return call.hash.dc;
  if (spec !== undefined && spec.startsWith('@')) return spec.slice(1);
  return null;
}

function hashDc(call: HelperCall): string | null {
  return typeof call.hash.dc === 'string' && call.hash.dc !== '' ? call.hash.dc : null;
}

function readKey(call: HelperCall): KvPair | null | undefined {
  return call.context.read<KvPair | null>(kvKeyDependency(stringArg(call, 0), hashDc(call)));
}

/** Pairs under `prefix` with Key relative to it (and Path the full key); folders left out. */
function readTree(call: HelperCall): Array<KvPair & { Path: string }> {
  const raw = stringArg(call, 0);
  const prefix = raw === '' || raw.endsWith('/') ? raw : `${raw}/`;
  const pairs = call.context.read<KvPair[]>(kvPrefixDependency(prefix, hashDc(call))) ?? [];
  return pairs
    .filter((pair) => pair.Key.startsWith(prefix) && !pair.Key.endsWith('/'))
    .map((pair) => ({ ...pair, Path: pair.Key, Key: pair.Key.slice(prefix.length) }));
}

const STATUSES = new Set(['passing', 'warning', 'critical', 'maintenance']);

/** `service "tag.name@dc" ["any"|"passing,warning"]`, or hash tag=, dc=, status=. */
function serviceHelper(call: HelperCall): HealthService[] {
  const spec = parseServiceSpec(stringArg(call, 0));
  const tags = [spec.tag, ...[call.hash.tag].flat()].filter(
    (tag): tag is string => typeof tag === 'string' && tag !== '',
  );
  const statusArg = call.args[1] ?? call.hash.status ?? 'passing';
  if (typeof statusArg !== 'string') throw new Error('status must be a string');
  const statuses = statusArg.split(',').map((s) => s.trim());
  const any = statuses.includes('any');
  for (const status of statuses) {
    if (status !== 'any' && !STATUSES.has(status)) throw new Error(`unknown status "${status}"`);
  }
  const passingOnly = !any && statuses.length === 1 && statuses[0] === 'passing';
  const instances =
    call.context.read<HealthService[]>(
      healthDependency({ name: spec.name, tags, dc: hashDc(call) ?? spec.dc, passingOnly }),
    ) ?? [];
  return any || passingOnly ? instances : instances.filter((i) => statuses.includes(i.Status));
}

function nodeHelper(call: HelperCall): CatalogNodeDetail | null {
  const spec = typeof call.args[0] === 'string' ? call.args[0] : '';
  const at = spec.indexOf('@');
  let name = at === -1 ? spec : spec.slice(0, at);
  const dc = hashDc(call) ?? (at === -1 ? null : spec.slice(at + 1));
  if (name === '') {
    const self = call.context.read<{ NodeName: string }>(agentSelfDependency());
    if (self === undefined) return null;
    name = self.NodeName;
  }
  return call.context.read<CatalogNodeDetail | null>(catalogNodeDependency(name, dc)) ?? null;
}

function groupBy(
  services: unknown,
  keysOf: (service: HealthService) => string[],
): Record<string, HealthService[]> {
  if (!Array.isArray(services)) throw new Error('expects a list of services');
  const groups = new Map<string, HealthService[]>();
  for (const service of services as HealthService[]) {
    for (const key of new Set(keysOf(service))) {
      const group = groups.get(key) ?? [];
      group.push(service);
      groups.set(key, group);
    }
  }
  // Handlebars iterates objects in insertion order: insert sorted for stable output.
  const out: Record<string, HealthService[]> = {};
  for (const key of [...groups.keys()].sort()) out[key] = groups.get(key) ?? [];
  return out;
}

export const DATA_HELPERS: Record<string, HelperBody> = {
  key: (call) => {
    // Handlebars compiles `{{@key}}` as a call of a known helper named key: hand it @key back.
    if (call.args.length === 0) return call.frame.key;
    const pair = readKey(call);
    if (pair === undefined) return '';
    if (pair === null) {
      call.context.keyAbsent(stringArg(call, 0));
      return '';
    }
    return pair.Value;
  },
  keyOrDefault: (call) => {
    const pair = readKey(call);
    return pair === null || pair === undefined ? (call.args[1] ?? '') : pair.Value;
  },
  keyExists: (call) => {
    const pair = readKey(call);
    return pair !== null && pair !== undefined;
  },
  ls: (call) => readTree(call).filter((pair) => !pair.Key.includes('/')),
  tree: (call) => readTree(call),
  service: serviceHelper,
  services: (call) => {
    const spec = typeof call.args[0] === 'string' ? call.args[0] : undefined;
    return (
      call.context.read<CatalogServiceSummary[]>(
        catalogServicesDependency(datacenterOf(call, spec)),
      ) ?? []
    );
  },
  nodes: (call) => {
    const spec = typeof call.args[0] === 'string' ? call.args[0] : undefined;
    return (
      call.context.read<CatalogNodeSummary[]>(catalogNodesDependency(datacenterOf(call, spec))) ??
      []
    );
  },
  node: nodeHelper,
  byTag: (call) => groupBy(call.args[0], (service) => service.Tags),
  byMeta: (call) => {
    const key = stringArg(call, 1);
    return groupBy(call.args[0], (service) =>
      Object.hasOwn(service.ServiceMeta, key) ? [service.ServiceMeta[key]] : [],
    );
  },
  env: (call) => call.context.env[stringArg(call, 0)] ?? '',
  file: (call) => {
    const path = resolve(stringArg(call, 0));
    const contents = call.context.read<string | null>(fileDependency(path));
    if (contents === null) throw new Error(`cannot read file ${path}`);
    return contents ?? '';
  },
};
