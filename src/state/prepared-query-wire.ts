// Prepared queries on the wire (commands and snapshot rows), checked field by field and built
// in one fixed order, so replicas encode the same rows to the same bytes.
import type { CheckServiceNode } from './catalog-types';
import { readCheckRow, readNodeRow, readServiceRow } from './catalog-wire';
import type { PreparedQuery, PreparedQueryWrite, ServiceQuery } from './prepared-query-types';
import {
  readArray,
  readBool,
  readIndex,
  readInt,
  readMap,
  readObject,
  readString,
  readStringArray,
} from './wire';

export function readPreparedQueryWrite(raw: unknown, at: string): PreparedQueryWrite {
  const f = readObject(raw, at);
  const template = readObject(f.template, `${at}.template`);
  const dns = readObject(f.dns, `${at}.dns`);
  return {
    id: readString(f.id, `${at}.id`),
    name: readString(f.name, `${at}.name`),
    session: readString(f.session, `${at}.session`),
    token: readString(f.token, `${at}.token`),
    template: {
      type: readString(template.type, `${at}.template.type`),
      regexp: readString(template.regexp, `${at}.template.regexp`),
      removeEmptyTags: readBool(template.removeEmptyTags, `${at}.template.removeEmptyTags`),
    },
    service: readServiceQuery(f.service, `${at}.service`),
    dns: { ttl: readString(dns.ttl, `${at}.dns.ttl`) },
  };
}

/** A snapshot row: the fields of a write plus its indexes. */
export function readPreparedQueryRow(raw: unknown, at: string): PreparedQuery {
  const f = readObject(raw, at);
  return {
    ...readPreparedQueryWrite(raw, at),
    createIndex: readIndex(f.createIndex, `${at}.createIndex`),
    modifyIndex: readIndex(f.modifyIndex, `${at}.modifyIndex`),
  };
}

function readServiceQuery(raw: unknown, at: string): ServiceQuery {
  const f = readObject(raw, at);
  const failover = readObject(f.failover, `${at}.failover`);
  return {
    service: readString(f.service, `${at}.service`),
    failover: {
      nearestN: readInt(failover.nearestN, `${at}.failover.nearestN`),
      datacenters: readStringArray(failover.datacenters, `${at}.failover.datacenters`),
      targets: readArray(failover.targets, `${at}.failover.targets`).map((item, i) => {
        const target = readObject(item, `${at}.failover.targets[${i}]`);
        return {
          peer: readString(target.peer, `${at}.failover.targets[${i}].peer`),
          datacenter: readString(target.datacenter, `${at}.failover.targets[${i}].datacenter`),
        };
      }),
    },
    onlyPassing: readBool(f.onlyPassing, `${at}.onlyPassing`),
    ignoreCheckIDs: readStringArray(f.ignoreCheckIDs, `${at}.ignoreCheckIDs`),
    near: readString(f.near, `${at}.near`),
    tags: readStringArray(f.tags, `${at}.tags`),
    nodeMeta: readMap(f.nodeMeta, `${at}.nodeMeta`, readString),
    serviceMeta: readMap(f.serviceMeta, `${at}.serviceMeta`, readString),
    connect: readBool(f.connect, `${at}.connect`),
    peer: readString(f.peer, `${at}.peer`),
  };
}

/** An instance with its node and checks, as another datacenter's execution returns it. */
export function readCheckServiceNode(raw: unknown, at: string): CheckServiceNode {
  const f = readObject(raw, at);
  return {
    node: readNodeRow(f.node, `${at}.node`),
    service: readServiceRow(f.service, `${at}.service`),
    checks: readArray(f.checks, `${at}.checks`).map((check, i) =>
      readCheckRow(check, `${at}.checks[${i}]`),
    ),
  };
}
