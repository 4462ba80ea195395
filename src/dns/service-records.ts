// Service lookups (consul-api.md §10.2): the healthy instances of a service, optionally with a
// tag, shuffled, as A/AAAA/CNAME records or as SRV records with their targets in ADDITIONAL.
import type { Answer, StringAnswer } from 'dns-packet';

import type { InstanceCache, PreparedInstance } from './instance-cache';
import {
  addressRecord,
  cnameRecord,
  isEncodableName,
  metaRecords,
  serviceTtl,
  trimDot,
  ttlSeconds,
} from './records';
import type { LookupContext, Sections } from './resolver';
import { shuffle } from './shuffle';

/** The answer for `[tag.]service`, or null (NXDOMAIN) when no instance is healthy. */
export function serviceAnswers(
  ctx: LookupContext,
  cache: InstanceCache,
  service: string,
  tag: string | null,
): Sections | null {
  const { dnsConfig } = ctx.config;
  const healthy = cache.healthy(service, dnsConfig.onlyPassing);
  const instances = tag === null ? [...healthy] : healthy.filter((i) => i.tags.has(tag));
  if (instances.length === 0) return null;
  shuffle(instances);
  const ttl = serviceTtl(instances[0].service.service, dnsConfig.serviceTtlMs);
  return instanceAnswers(ctx, instances, ttl, ctx.config.datacenter);
}

/**
 * The records for `instances` in their order: SRV for an SRV question, else addresses; SRV
 * targets name the instances' `datacenter` (a prepared query may answer from another one).
 */
export function instanceAnswers(
  ctx: LookupContext,
  instances: PreparedInstance[],
  ttl: number,
  datacenter: string,
): Sections {
  return ctx.qtype === 'SRV'
    ? srvRecords(ctx, instances, ttl, datacenter)
    : addressRecords(ctx, instances, ttl);
}

/** A/AAAA (or one CNAME when no instance has an IP) per instance, duplicates dropped. */
function addressRecords(ctx: LookupContext, instances: PreparedInstance[], ttl: number): Sections {
  const { question, qtype, config } = ctx;
  const limit = config.dnsConfig.aRecordLimit;
  const answers: Answer[] = [];
  const seen = new Set<string>();
  let cname: StringAnswer | null = null;
  for (const instance of instances) {
    const record = instanceRecord(question.name, qtype, instance, ttl);
    if (record === null) continue;
    if (record.type === 'CNAME') {
      cname ??= record;
      continue;
    }
    if (seen.has(record.data)) continue;
    seen.add(record.data);
    answers.push(record);
    if (answers.length === limit) break;
  }
  if (answers.length === 0 && cname !== null) answers.push(cname);
  return { rcode: 0, answers, authorities: [], additionals: [] };
}

function instanceRecord(
  name: string,
  qtype: string,
  { node, service, nodeIp, serviceIp }: PreparedInstance,
  ttl: number,
): StringAnswer | null {
  if (service.address === '') {
    if (nodeIp !== null) return addressRecord(name, nodeIp, qtype, ttl);
    return isEncodableName(node.address) ? cnameRecord(name, node.address, ttl) : null;
  }
  if (serviceIp !== null) return addressRecord(name, serviceIp, qtype, ttl);
  // A service address naming the question itself means "use the node's address".
  if (trimDot(service.address).toLowerCase() === trimDot(name).toLowerCase() && nodeIp !== null) {
    return addressRecord(name, nodeIp, qtype, ttl);
  }
  return isEncodableName(service.address) ? cnameRecord(name, service.address, ttl) : null;
}

/**
 * SRV per (node, address, port): target the node (`<node>.node.<dc>.<domain>`), the service's
 * own IP (`<hex>.addr.<dc>.<domain>`) or its hostname; glue and node meta in ADDITIONAL.
 */
function srvRecords(
  ctx: LookupContext,
  instances: PreparedInstance[],
  ttl: number,
  datacenter: string,
): Sections {
  const { question, config } = ctx;
  const suffix = `${datacenter}.${trimDot(ctx.domain)}`;
  const nodeTtl = ttlSeconds(config.dnsConfig.nodeTtlMs);
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const handled = new Set<string>();
  const glued = new Set<string>();
  for (const instance of instances) {
    const { node, service } = instance;
    const tuple = `${node.node}\u0000${service.address}\u0000${service.port}`;
    if (handled.has(tuple)) continue;
    handled.add(tuple);
    const target = srvTarget(instance, suffix);
    if (target === null) continue;
    answers.push({
      name: question.name,
      type: 'SRV',
      class: 'IN',
      ttl,
      data: { priority: 1, weight: weightOf(instance), port: service.port, target: target.name },
    });
    if (glued.has(target.name)) continue;
    glued.add(target.name);
    const glueTtl = target.ofNode ? nodeTtl : ttl;
    const glue = target.ip === null ? null : addressRecord(target.name, target.ip, 'ANY', glueTtl);
    if (glue !== null) additionals.push(glue);
    if (target.ofNode && config.dnsConfig.enableAdditionalNodeMetaTxt) {
      additionals.push(...metaRecords(target.name, node.meta, nodeTtl));
    }
  }
  return { rcode: 0, answers, authorities: [], additionals };
}

interface SrvTarget {
  name: string;
  /** The address to glue, or null for a hostname target. */
  ip: PreparedInstance['nodeIp'];
  ofNode: boolean;
}

function srvTarget(instance: PreparedInstance, suffix: string): SrvTarget | null {
  const { node, service, nodeIp, serviceIp } = instance;
  let target: SrvTarget;
  if (service.address === '') {
    target =
      nodeIp === null
        ? { name: trimDot(node.address), ip: null, ofNode: false }
        : { name: `${node.node}.node.${suffix}`, ip: nodeIp, ofNode: true };
  } else {
    target =
      serviceIp === null
        ? { name: trimDot(service.address), ip: null, ofNode: false }
        : {
            name: `${serviceIp.bytes.toString('hex')}.addr.${suffix}`,
            ip: serviceIp,
            ofNode: false,
          };
  }
  return isEncodableName(target.name) ? target : null;
}

/** Weights.Passing, or Weights.Warning when the instance's aggregate status is warning. */
function weightOf({ service, warning }: PreparedInstance): number {
  const { passing, warning: warningWeight } = service.weights;
  return Math.min(0xffff, Math.max(0, warning ? warningWeight : passing));
}
