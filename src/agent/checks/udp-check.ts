// UDP check (Consul's CheckUDP): send one datagram on a connected socket; a reply or silence
// until the timeout is passing, an ICMP port-unreachable (ECONNREFUSED on Linux) is critical.
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DEFAULT_NETWORK_TIMEOUT_MS, type CheckResult, positiveOr } from './definition';
import { describeDialError, describeSocketError, splitHostPort } from './net-errors';
import { settleOnce } from './settle';

export interface UdpCheckOptions {
  /** `host:port`. */
  address: string;
  /** How long to wait for a reply or an error; default 10s. */
  timeoutMs?: number;
  /** Datagram payload; default empty (as Consul). */
  message?: string;
}

/** Runs one UDP check. Never rejects. */
export async function runUdpCheck(
  options: UdpCheckOptions,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const { address } = options;
  const success: CheckResult = { status: 'passing', output: `UDP connect ${address}: Success` };
  let ip: string;
  let port: number;
  try {
    const target = splitHostPort(address);
    port = target.port;
    ip = isIP(target.host) !== 0 ? target.host : (await lookup(target.host)).address;
  } catch (err) {
    return { status: 'critical', output: describeDialError('udp', address, err) };
  }
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_NETWORK_TIMEOUT_MS);
  const remote = isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
  return settleOnce(
    {
      timeoutMs,
      signal,
      // No reply is the normal answer of most UDP services: the deadline passing is success.
      timedOut: () => success,
      canceled: () => ({
        status: 'critical',
        output: `dial udp ${address}: operation was canceled`,
      }),
    },
    (finish) => {
      const socket = dgram.createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4');
      let local = '';
      socket.on('message', () => finish(success));
      socket.on('error', (err) => {
        if (local === '') {
          finish({ status: 'critical', output: describeDialError('udp', address, err) });
          return;
        }
        // Linux reports the ICMP port-unreachable as ECONNREFUSED on the connected socket.
        const reason = describeSocketError(err).replace(/^connect: /, 'read: ');
        finish({ status: 'critical', output: `read udp ${local}->${remote}: ${reason}` });
      });
      socket.connect(port, ip, () => {
        const me = socket.address();
        local = me.family === 'IPv6' ? `[${me.address}]:${me.port}` : `${me.address}:${me.port}`;
        socket.send(Buffer.from(options.message ?? '', 'utf8'), (err) => {
          if (err) finish({ status: 'critical', output: describeSocketError(err) });
        });
      });
      return () => socket.close();
    },
  );
}
