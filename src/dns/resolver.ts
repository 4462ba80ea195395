// The DNS core: a query packet in, a response packet out, answered from the local state store
// (stale reads, never waiting on Raft). Names outside the domain that it cannot answer come back
// as null, for the recursors. No sockets here (server.ts), no wire sizes (limits.ts).
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';

import { AclNotFoundError, type AclResolver } from '../acl';
import type { AgentConfig } from '../config';
import type { RaftStatus } from '../raft';
import type { CatalogNode, StateStore } from '../state';
import { ipBytes, ipFromHex, ipFromReverse, ipOf, parseIp } from './address';
import { parseQuery, splitDomain, type DnsQuery } from './names';
import {
  addressRecord,
  isEncodableName,
  metaRecords,
  soaRecord,
  trimDot,
  ttlSeconds,
} from './records';
import { InstanceCache } from './instance-cache';
import { preparedQueryAnswers, type DnsQueryExecutor } from './query-records';
import { serviceAnswers } from './service-records';

/** What the resolver reads: the agent runtime satisfies it. */
export interface DnsBackend {
  readonly config: AgentConfig;
  readonly store: StateStore;
  readonly raft: { status(): RaftStatus };
  /** DNS answers only what the agent's DNS token (acl.tokens.dns, else default) may read. */
  readonly acl: AclResolver;
  /** Other datacenters' servers, which answer names under `.<dc>.<domain>` (servers only). */
  readonly otherDatacenters?: {
    knows(dc: string): boolean;
    dns(
      dc: string,
      packet: Buffer,
      transport: 'udp' | 'tcp',
      client: string,
    ): Promise<Buffer | null>;
  };
  /** Prepared queries (`<name>.query.<domain>`); without them those names are NXDOMAIN. */
  readonly preparedQueries?: DnsQueryExecutor;
}

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

const AA = 1 << 10;
const RD = 1 << 8;
const RA = 1 << 7;
const OPCODE_MASK = 0x7800;

/** The sections and code of an answer before it becomes a packet. */
export interface Sections {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/** Per-question facts every lookup needs. */
export interface LookupContext {
  config: AgentConfig;
  question: Question;
  /** The question's type; a plain string, as dns-packet also decodes ANY and unknown types. */
  qtype: string;
  /** The domain the question used, e.g. `consul.`. */
  domain: string;
  /** The asker's address ("" when unknown). */
  client?: string;
}

export class DnsResolver {
  private readonly instances: InstanceCache;

  constructor(private readonly backend: DnsBackend) {
    this.instances = new InstanceCache(
      backend.store,
      (instance) =>
        this.mayRead('service', instance.service.service) &&
        this.mayRead('node', instance.node.node),
    );
  }

  /** Whether the DNS token may read `name`; an unknown DNS token reads nothing. */
  private mayRead(resource: 'node' | 'service', name: string): boolean {
    const acl = this.backend.acl;
    if (!acl.enabled()) return true;
    try {
      const token = acl.agentToken('dns');
      return acl.resolve(token).allows(resource, name, 'read');
    } catch (error) {
      if (error instanceof AclNotFoundError) return false;
      throw error;
    }
  }

  /** The datacenter the question names when it is not this one (`web.service.dc2.consul`). */
  otherDatacenter(query: DecodedPacket): string | null {
    const config = this.backend.config;
    const question = (query.questions ?? [])[0];
    if (question === undefined) return null;
    const domains = config.altDomain === null ? [config.domain] : [config.domain, config.altDomain];
    const split = splitDomain(question.name, domains);
    if (split === null) return null;
    const parsed = parseQuery(split.labels, question.type === 'SRV');
    const datacenter = 'datacenter' in parsed ? parsed.datacenter : null;
    return datacenter !== null && datacenter !== config.datacenter ? datacenter : null;
  }

  /**
   * The response to a one-question query, or null when the name is outside the domain and not a
   * reverse name of a known address (the caller forwards it, or refuses). `client` is the
   * asker's address, for prepared queries whose Near is `_ip`.
   */
  resolve(query: DecodedPacket, client = ''): Packet | null | Promise<Packet> {
    const config = this.backend.config;
    const question = (query.questions ?? [])[0];
    const qtype: string = question.type;
    if (qtype === 'AXFR' || qtype === 'IXFR') {
      return reply(query, config, { ...empty(RCODE.NOTIMP) }, false);
    }
    const domains = config.altDomain === null ? [config.domain] : [config.domain, config.altDomain];
    const split = splitDomain(question.name, domains);
    if (split === null) {
      const ptr = this.reverse(config, question, qtype);
      return ptr === null ? null : reply(query, config, ptr, true);
    }
    const ctx: LookupContext = { config, question, qtype, domain: split.domain, client };
    if (!this.readable(config)) return reply(query, config, empty(RCODE.SERVFAIL), false);
    const sections = this.lookup(ctx, split.labels);
    if (sections instanceof Promise) {
      return sections.then((done) => reply(query, config, done, true));
    }
    return reply(query, config, sections, true);
  }

  /** A reply with only a code (FORMERR, REFUSED, SERVFAIL) for a query that got this far. */
  static failure(query: DecodedPacket, config: AgentConfig, rcode: number): Packet {
    return reply(query, config, empty(rcode), false);
  }

  private lookup(ctx: LookupContext, labels: string[]): Sections | Promise<Sections> {
    const { qtype } = ctx;
    if (qtype === 'SOA') {
      const { ns, glue } = this.nameservers(ctx);
      return { rcode: 0, answers: [this.soa(ctx)], authorities: ns, additionals: glue };
    }
    if (qtype === 'NS') {
      const { ns, glue } = this.nameservers(ctx);
      return { rcode: 0, answers: ns, authorities: [], additionals: glue };
    }
    const query = parseQuery(labels, qtype === 'SRV');
    const datacenter = 'datacenter' in query ? query.datacenter : null;
    if (datacenter !== null && datacenter !== ctx.config.datacenter) {
      return this.negative(ctx, RCODE.NXDOMAIN);
    }
    if (query.kind === 'query') {
      return this.preparedQuery(ctx, query.name).then((sections) => this.complete(ctx, sections));
    }
    return this.complete(ctx, this.dispatch(ctx, query));
  }

  /** NXDOMAIN for nothing found; the SOA in AUTHORITY of an empty answer. */
  private complete(ctx: LookupContext, sections: Sections | null): Sections {
    if (sections === null) return this.negative(ctx, RCODE.NXDOMAIN);
    if (sections.answers.length === 0) sections.authorities.push(this.soa(ctx));
    return sections;
  }

  /** Runs the prepared query with the DNS token (acl.tokens.dns, else the default token). */
  private async preparedQuery(ctx: LookupContext, name: string): Promise<Sections | null> {
    const executor = this.backend.preparedQueries;
    if (executor === undefined) return null;
    const { acl } = this.backend;
    const token = acl.enabled() ? acl.agentToken('dns') : '';
    return preparedQueryAnswers(ctx, executor, name, token === '' ? null : token);
  }

  private dispatch(ctx: LookupContext, query: DnsQuery): Sections | null {
    switch (query.kind) {
      case 'node':
        return this.node(ctx, query.node);
      case 'service':
        return serviceAnswers(ctx, this.instances, query.service, query.tag);
      case 'addr':
        return this.addr(ctx, query.hex);
      default:
        return null;
    }
  }

  private node(ctx: LookupContext, name: string): Sections | null {
    const node = findNode(this.backend.store, name);
    if (node === null || !this.mayRead('node', node.node)) return null;
    const { question, qtype, config } = ctx;
    const ttl = ttlSeconds(config.dnsConfig.nodeTtlMs);
    const sections = empty(RCODE.NOERROR);
    const ip = parseIp(node.address);
    if (ip !== null) {
      const record = addressRecord(question.name, ip, qtype, ttl);
      if (record !== null) sections.answers.push(record);
    } else if (['A', 'AAAA', 'ANY'].includes(qtype)) {
      sections.answers.push({
        name: question.name,
        type: 'CNAME',
        class: 'IN',
        ttl,
        data: trimDot(node.address),
      });
    }
    const meta = metaRecords(question.name, node.meta, ttl);
    if (qtype === 'TXT' || qtype === 'ANY') {
      sections.answers.push(...meta);
    } else if (config.dnsConfig.enableAdditionalNodeMetaTxt && sections.answers.length > 0) {
      sections.additionals.push(...meta);
    }
    return sections;
  }

  private addr(ctx: LookupContext, hex: string): Sections | null {
    const bytes = ipFromHex(hex);
    if (bytes === null) return null;
    const { question, qtype } = ctx;
    const ttl = ttlSeconds(ctx.config.dnsConfig.nodeTtlMs);
    const sections = empty(RCODE.NOERROR);
    const record = addressRecord(question.name, ipOf(bytes), 'ANY', ttl);
    if (record === null) return sections;
    // As Consul: a question of another type still gets the address, in ADDITIONAL.
    const matches = qtype === 'ANY' || qtype === record.type;
    (matches ? sections.answers : sections.additionals).push(record);
    return sections;
  }

  /** PTR for a node address, else for a service address; null when neither is known. */
  private reverse(config: AgentConfig, question: Question, qtype: string): Sections | null {
    if (qtype !== 'PTR' && qtype !== 'ANY') return null;
    const name = trimDot(question.name.toLowerCase());
    const family = name.endsWith('.in-addr.arpa')
      ? 'in-addr'
      : name.endsWith('.ip6.arpa')
        ? 'ip6'
        : null;
    if (family === null) return null;
    const suffix = family === 'in-addr' ? '.in-addr.arpa' : '.ip6.arpa';
    const bytes = ipFromReverse(name.slice(0, -suffix.length).split('.'), family);
    if (bytes === null) return null;
    const domain = trimDot(config.domain);
    const targets = this.reverseTargets(bytes).map(
      (target) => `${target}.${config.datacenter}.${domain}`,
    );
    if (targets.length === 0) return null;
    const answers: Answer[] = targets.map((data) => ({
      name: question.name,
      type: 'PTR',
      class: 'IN',
      ttl: 0,
      data,
    }));
    return { rcode: RCODE.NOERROR, answers, authorities: [], additionals: [] };
  }

  private reverseTargets(bytes: Buffer): string[] {
    const store = this.backend.store;
    const nodes = store
      .catalogNodes()
      .value.filter(
        (node) =>
          sameIp(node.address, bytes) &&
          isEncodableName(node.node) &&
          this.mayRead('node', node.node),
      )
      .map((node) => `${node.node}.node`);
    if (nodes.length > 0) return nodes;
    for (const service of store.catalogServices().value.keys()) {
      if (!this.mayRead('service', service)) continue;
      const instances = store.catalogServiceNodes(service).value;
      if (instances.some((instance) => sameIp(instance.service.address, bytes))) {
        if (isEncodableName(service)) return [`${service}.service`];
      }
    }
    return [];
  }

  /** NS records naming this server as `<node>.node.<dc>.<domain>`, with its A/AAAA as glue. */
  private nameservers(ctx: LookupContext): { ns: Answer[]; glue: Answer[] } {
    const { config } = ctx;
    const ttl = ttlSeconds(config.dnsConfig.nodeTtlMs);
    const domain = trimDot(ctx.domain);
    const target = `${config.nodeName}.node.${config.datacenter}.${domain}`;
    if (!isEncodableName(target)) return { ns: [], glue: [] };
    const ns: Answer[] = [{ name: domain, type: 'NS', class: 'IN', ttl, data: target }];
    const ip = parseIp(config.advertiseAddr);
    const glue = ip === null ? null : addressRecord(target, ip, 'ANY', ttl);
    return { ns, glue: glue === null ? [] : [glue] };
  }

  private soa(ctx: LookupContext): Answer {
    return soaRecord(ctx.domain, ctx.config.dnsConfig.soa);
  }

  private negative(ctx: LookupContext, rcode: number): Sections {
    return { rcode, answers: [], authorities: [this.soa(ctx)], additionals: [] };
  }

  /**
   * Stale reads are fine (allow_stale) while the last contact with a leader is within
   * max_stale; past it, or with allow_stale off, only the leader's store answers. There is no
   * forwarding to the leader yet, so a follower answers SERVFAIL then (Consul's RPC failure).
   */
  private readable(config: AgentConfig): boolean {
    const status = this.backend.raft.status();
    if (status.role === 'leader') return true;
    const { allowStale, maxStaleMs } = config.dnsConfig;
    return allowStale && status.leaderId !== null && status.lastContactMs <= maxStaleMs;
  }
}

function reply(query: DecodedPacket, config: AgentConfig, sections: Sections, aa: boolean): Packet {
  const flags =
    ((query.flags ?? 0) & (OPCODE_MASK | RD)) |
    (aa && sections.rcode !== RCODE.NOTIMP ? AA : 0) |
    (config.recursors.length > 0 ? RA : 0) |
    (sections.rcode & 0xf);
  return {
    id: query.id,
    type: 'response',
    flags,
    questions: query.questions,
    answers: sections.answers,
    authorities: sections.authorities,
    additionals: sections.additionals,
  };
}

function empty(rcode: number): Sections {
  return { rcode, answers: [], authorities: [], additionals: [] };
}

/** Exact name first; DNS names are case-insensitive, the catalog's keys may not be. */
function findNode(store: StateStore, name: string): CatalogNode | null {
  const exact = store.catalogNode(name).value;
  if (exact !== null) return exact.node;
  return store.catalogNodes().value.find((node) => node.node.toLowerCase() === name) ?? null;
}

function sameIp(address: string, bytes: Buffer): boolean {
  const own = ipBytes(address);
  return own !== null && own.equals(bytes);
}
