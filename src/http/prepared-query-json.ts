// Prepared queries over HTTP: the definition decoded as Consul's decodeBody fills
// structs.PreparedQuery (unknown keys refused; what a GET answered may be sent back as is), the
// definition JSON in Consul's field order, and the execute answer.
import type { PreparedQuery, PreparedQueryWrite, ServiceQuery } from '../state';
import { emptyPreparedQuery } from '../state';
import type { PreparedQueryExecution } from '../server';
import { checkServiceNodeJson } from './catalog-json';
import {
  fieldSite,
  goBool,
  goInt,
  goString,
  goStringList,
  goStringMap,
  ROOT,
  structFields,
  typeError,
  type Site,
  type StructSpec,
} from './go-decode';
import type { ParsedJson } from './json-parse';
import type { JsonValue } from './json';

const QUERY_SPEC: StructSpec = {
  goType: 'structs.PreparedQuery',
  fields: ['ID', 'Name', 'Session', 'Token', 'Template', 'Service', 'DNS'],
  ignored: ['CreateIndex', 'ModifyIndex'],
};
const TEMPLATE_SPEC: StructSpec = {
  goType: 'structs.QueryTemplateOptions',
  fields: ['Type', 'Regexp', 'RemoveEmptyTags'],
};
const SERVICE_SPEC: StructSpec = {
  goType: 'structs.ServiceQuery',
  fields: [
    'Service',
    'Failover',
    'OnlyPassing',
    'IgnoreCheckIDs',
    'Near',
    'Tags',
    'NodeMeta',
    'ServiceMeta',
    'Peer',
    'Connect',
  ],
  // Enterprise and newer fields that carry nothing in a single-partition Consul.
  ignored: ['SamenessGroup', 'Namespace', 'Partition'],
};
const FAILOVER_SPEC: StructSpec = {
  goType: 'structs.QueryFailoverOptions',
  fields: ['NearestN', 'Datacenters', 'Targets'],
};
const TARGET_SPEC: StructSpec = {
  goType: 'structs.QueryFailoverTarget',
  fields: ['Peer', 'Datacenter'],
  ignored: ['Partition', 'Namespace'],
};
const DNS_SPEC: StructSpec = { goType: 'structs.QueryDNSOptions', fields: ['TTL'] };

/** The definition in a create or update body (null body: every field at its zero value). */
export function decodePreparedQuery(body: ParsedJson | null): PreparedQueryWrite {
  const query = emptyPreparedQuery();
  const fields = body === null ? null : structFields(body, QUERY_SPEC, ROOT);
  for (const [name, value] of fields ?? []) {
    const site = fieldSite(ROOT, 'PreparedQuery', name);
    switch (name) {
      case 'ID':
        query.id = goString(value, site);
        break;
      case 'Name':
        query.name = goString(value, site);
        break;
      case 'Session':
        query.session = goString(value, site);
        break;
      case 'Token':
        query.token = goString(value, site);
        break;
      case 'Template':
        for (const [field, item] of structFields(value, TEMPLATE_SPEC, site) ?? []) {
          const at = fieldSite(site, 'QueryTemplateOptions', field);
          if (field === 'Type') query.template.type = goString(item, at);
          else if (field === 'Regexp') query.template.regexp = goString(item, at);
          else query.template.removeEmptyTags = goBool(item, at);
        }
        break;
      case 'Service':
        decodeService(value, site, query.service);
        break;
      case 'DNS':
        for (const [field, item] of structFields(value, DNS_SPEC, site) ?? []) {
          query.dns.ttl = goString(item, fieldSite(site, 'QueryDNSOptions', field));
        }
        break;
    }
  }
  return query;
}

function decodeService(value: ParsedJson, site: Site, service: ServiceQuery): void {
  for (const [field, item] of structFields(value, SERVICE_SPEC, site) ?? []) {
    const at = fieldSite(site, 'ServiceQuery', field);
    switch (field) {
      case 'Service':
        service.service = goString(item, at);
        break;
      case 'Failover':
        decodeFailover(item, at, service);
        break;
      case 'OnlyPassing':
        service.onlyPassing = goBool(item, at);
        break;
      case 'IgnoreCheckIDs':
        service.ignoreCheckIDs = goStringList(item, at);
        break;
      case 'Near':
        service.near = goString(item, at);
        break;
      case 'Tags':
        service.tags = goStringList(item, at);
        break;
      case 'NodeMeta':
        service.nodeMeta = goStringMap(item, at);
        break;
      case 'ServiceMeta':
        service.serviceMeta = goStringMap(item, at);
        break;
      case 'Peer':
        service.peer = goString(item, at);
        break;
      case 'Connect':
        service.connect = goBool(item, at);
        break;
    }
  }
}

function decodeFailover(value: ParsedJson, site: Site, service: ServiceQuery): void {
  for (const [field, item] of structFields(value, FAILOVER_SPEC, site) ?? []) {
    const at = fieldSite(site, 'QueryFailoverOptions', field);
    if (field === 'NearestN') service.failover.nearestN = goInt(item, at);
    else if (field === 'Datacenters') service.failover.datacenters = goStringList(item, at);
    else service.failover.targets = decodeTargets(item, at);
  }
}

function decodeTargets(value: ParsedJson, site: Site): ServiceQuery['failover']['targets'] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw typeError(value, site, '[]structs.QueryFailoverTarget');
  return value.map((item) => {
    const target = { peer: '', datacenter: '' };
    for (const [field, text] of structFields(item, TARGET_SPEC, site) ?? []) {
      const at = fieldSite(site, 'QueryFailoverTarget', field);
      if (field === 'Peer') target.peer = goString(text, at);
      else target.datacenter = goString(text, at);
    }
    return target;
  });
}

const nullIfEmpty = <T>(items: readonly T[]): readonly T[] | null =>
  items.length === 0 ? null : items;
const mapOrNull = (map: Record<string, string>): Record<string, string> | null =>
  Object.keys(map).length === 0 ? null : map;

/** A stored (or rendered) query in Consul's JSON; `token` replaces the Token when given. */
export function preparedQueryJson(query: PreparedQuery, token = query.token): JsonValue {
  const { service } = query;
  return {
    ID: query.id,
    Name: query.name,
    Session: query.session,
    Token: token,
    Template: {
      Type: query.template.type,
      Regexp: query.template.regexp,
      RemoveEmptyTags: query.template.removeEmptyTags,
    },
    Service: {
      Service: service.service,
      Failover: {
        NearestN: service.failover.nearestN,
        Datacenters: nullIfEmpty(service.failover.datacenters),
        Targets:
          service.failover.targets.length === 0
            ? undefined
            : service.failover.targets.map((target) => ({
                Peer: target.peer,
                Datacenter: target.datacenter,
              })),
      },
      OnlyPassing: service.onlyPassing,
      IgnoreCheckIDs: nullIfEmpty(service.ignoreCheckIDs),
      Near: service.near,
      Tags: nullIfEmpty(service.tags),
      NodeMeta: mapOrNull(service.nodeMeta),
      ServiceMeta: mapOrNull(service.serviceMeta),
      Peer: service.peer,
      Connect: service.connect,
    },
    DNS: { TTL: query.dns.ttl },
    CreateIndex: query.createIndex,
    ModifyIndex: query.modifyIndex,
  };
}

/** Consul's QueryMeta fields, as the execute and explain answers embed them. */
export interface QueryMetaJson {
  index: number;
  lastContactMs: number;
  knownLeader: boolean;
  consistencyLevel: string;
}

function queryMetaJson(meta: QueryMetaJson, filtered = false): Record<string, JsonValue> {
  return {
    Index: meta.index,
    LastContact: Math.round(meta.lastContactMs * 1e6),
    KnownLeader: meta.knownLeader,
    ConsistencyLevel: meta.consistencyLevel,
    NotModified: false,
    Backend: 0,
    ResultsFilteredByACLs: filtered,
  };
}

/** GET /v1/query/:id/execute: Consul's PreparedQueryExecuteResponse. */
export function executionJson(answer: PreparedQueryExecution, meta: QueryMetaJson): JsonValue {
  return {
    Service: answer.service,
    Nodes: answer.nodes.map(checkServiceNodeJson),
    DNS: { TTL: answer.dns.ttl },
    Datacenter: answer.datacenter,
    Failovers: answer.failovers,
    ...queryMetaJson(meta, answer.filteredByAcls === true),
  };
}

/** GET /v1/query/:id/explain: Consul's PreparedQueryExplainResponse. */
export function explainJson(query: JsonValue, meta: QueryMetaJson): JsonValue {
  return { Query: query, ...queryMetaJson(meta) };
}
