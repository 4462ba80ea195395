// DNS test support: an in-process dev agent with DNS on an ephemeral port, catalog registration
// over its HTTP API, `dig` runs, and raw queries (dns-packet) over UDP and TCP.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet } from 'dns-packet';

import type { AgentConfig } from '../../src/config';
import { framed } from '../../src/dns';
import { startTestAgent, type TestAgent } from '../http/harness';

export interface DnsTestAgent extends TestAgent {
  dnsPort: number;
  register(body: Record<string, unknown>): Promise<void>;
  deregister(node: string, serviceID?: string): Promise<void>;
}

export async function startDnsAgent(
  args: string[] = [],
  configure: (config: AgentConfig) => AgentConfig = (config) => config,
): Promise<DnsTestAgent> {
  const t = await startTestAgent(['-dns-port', '0', '-node', 'agent-one', ...args], configure);
  const [address] = t.agent.dnsAddresses;
  const dnsPort = Number(address.slice(address.lastIndexOf(':') + 1));
  const put = async (path: string, body: Record<string, unknown>): Promise<void> => {
    const result = await t.request('PUT', path, { body: JSON.stringify(body) });
    if (result.status !== 200) throw new Error(`PUT ${path}: ${result.status} ${result.text}`);
  };
  return {
    ...t,
    dnsPort,
    register: (body) => put('/v1/catalog/register', body),
    deregister: (node, serviceID) =>
      put(
        '/v1/catalog/deregister',
        serviceID === undefined ? { Node: node } : { Node: node, ServiceID: serviceID },
      ),
  };
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
  raw: string;
}

const DIG_MISSING =
  'dig is not installed (Debian: apt-get install bind9-dnsutils; `npm test` installs it when root)';

/** Runs `dig @127.0.0.1 -p PORT …args` and splits its sections into whitespace-split records. */
export function dig(port: number, args: string[]): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', ...args],
      (error, stdout) => {
        if (error !== null && stdout === '') {
          // A missing dig fails the test (npm test installs it), it never skips it.
          const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
          reject(missing ? new Error(DIG_MISSING) : error);
          return;
        }
        resolve(parseDig(stdout));
      },
    );
  });
}

function parseDig(raw: string): DigResult {
  const status = /status: (\w+)/.exec(raw)?.[1] ?? '';
  const flags = (/flags: ([a-z ]*);/.exec(raw)?.[1] ?? '').split(' ').filter((f) => f !== '');
  const section = (title: string): string[][] => {
    const match = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(raw);
    if (match === null) return [];
    return match[1]
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(';'))
      .map((line) => line.split(/\s+/));
  };
  return {
    status,
    flags,
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    raw,
  };
}

let nextId = 1;

/** A query packet for `name`/`type`, optionally with an EDNS0 OPT advertising `bufsize`. */
export function queryPacket(name: string, type: string, bufsize?: number): Buffer {
  const packet: Packet = {
    type: 'query',
    id: nextId++ & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
  };
  if (bufsize !== undefined) {
    packet.additionals = [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: bufsize,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ];
  }
  return dnsPacket.encode(packet);
}

/** Sends raw bytes over UDP; resolves with the reply, or null after `timeoutMs` of silence. */
export function udpExchange(
  port: number,
  message: Buffer,
  timeoutMs = 2000,
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, timeoutMs);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/** Sends one length-prefixed message over a fresh TCP connection and reads one reply. */
export function tcpExchange(
  port: number,
  message: Buffer,
  timeoutMs = 2000,
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const finish = (reply: Buffer | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('error', () => finish(null));
    socket.on('connect', () => {
      socket.write(framed(message));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        finish(received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
  });
}

/** A decoded reply with OPT set apart, so that every other record has a TTL and data. */
export interface DnsReply {
  id: number;
  rcode: string;
  flags: { aa: boolean; tc: boolean; rd: boolean; ra: boolean };
  questions: { name: string; type: string }[];
  answers: RecordView[];
  authorities: RecordView[];
  additionals: RecordView[];
  opt: OptAnswer | null;
  /** Bytes on the wire. */
  size: number;
}

export interface RecordView {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}

export function decodeReply(reply: Buffer): DnsReply {
  const packet = dnsPacket.decode(reply) as DecodedPacket & { rcode: string };
  const views = (list: Answer[] | undefined): RecordView[] =>
    (list ?? []).flatMap((r) =>
      r.type === 'OPT' ? [] : [{ name: r.name, type: r.type, ttl: r.ttl ?? 0, data: r.data }],
    );
  return {
    id: packet.id ?? 0,
    rcode: packet.rcode,
    flags: { aa: packet.flag_aa, tc: packet.flag_tc, rd: packet.flag_rd, ra: packet.flag_ra },
    questions: (packet.questions ?? []).map((q) => ({ name: q.name, type: q.type })),
    answers: views(packet.answers),
    authorities: views(packet.authorities),
    additionals: views(packet.additionals),
    opt: (packet.additionals ?? []).find((r): r is OptAnswer => r.type === 'OPT') ?? null,
    size: reply.length,
  };
}

/** Queries over UDP (or TCP) and decodes the reply; throws when there is none. */
export async function ask(
  port: number,
  name: string,
  type: string,
  options: { bufsize?: number; tcp?: boolean } = {},
): Promise<DnsReply> {
  const message = queryPacket(name, type, options.bufsize);
  const reply =
    options.tcp === true ? await tcpExchange(port, message) : await udpExchange(port, message);
  if (reply === null) throw new Error(`no reply for ${name} ${type}`);
  return decodeReply(reply);
}

/** A service instance registration through /v1/catalog/register. */
export function instance(
  node: string,
  address: string,
  service: Record<string, unknown>,
  checks: { status: string; serviceLevel?: boolean; id?: string }[] = [],
  nodeMeta: Record<string, string> = {},
): Record<string, unknown> {
  const serviceID = (service.ID as string | undefined) ?? (service.Service as string);
  return {
    Node: node,
    Address: address,
    NodeMeta: nodeMeta,
    Service: service,
    Checks: checks.map((check, i) => ({
      CheckID: check.id ?? `check-${serviceID}-${i}`,
      Name: `check ${i}`,
      Status: check.status,
      ServiceID: check.serviceLevel === false ? '' : serviceID,
    })),
  };
}
