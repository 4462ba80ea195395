// consul-esm's node probe without raw sockets: a TCP connection attempt (or a UDP datagram) to
// the node's address. Any answer — accepted, or refused by the host's stack (RST / ICMP port
// unreachable) — proves the host is up; silence until the timeout or "no route" means it is not.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

import type { CheckResult } from '../agent';

const REACHABLE = 'Node alive or reachable';
const UNREACHABLE = 'Node not live or unreachable';
/** Errors that come from the remote host itself: it is there. */
const ANSWERED = new Set(['ECONNREFUSED', 'ECONNRESET']);

export async function probeNode(
  address: string,
  port: number,
  pingType: 'tcp' | 'udp',
  timeoutMs: number,
): Promise<CheckResult> {
  const reached =
    pingType === 'tcp'
      ? await tcpPing(address, port, timeoutMs)
      : await udpPing(address, port, timeoutMs);
  return reached
    ? { status: 'passing', output: REACHABLE }
    : { status: 'critical', output: UNREACHABLE };
}

function tcpPing(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reached: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reached);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(ANSWERED.has(err.code ?? '')));
  });
}

function udpPing(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let settled = false;
    const done = (reached: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(reached);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('message', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(ANSWERED.has(err.code ?? '')));
    // A connected UDP socket reports the host's ICMP port-unreachable as ECONNREFUSED.
    socket.connect(port, host, () => socket.send(Buffer.from('consulate-esm-ping')));
  });
}
