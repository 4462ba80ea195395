// TCP check: a completed connect is passing (Consul's CheckTCP), the socket closed at once.
import * as net from 'node:net';
import { DEFAULT_NETWORK_TIMEOUT_MS, type CheckResult, positiveOr } from './definition';
import { describeDialError, errorMessage, splitHostPort } from './net-errors';
import { settleOnce } from './settle';

export interface TcpCheckOptions {
  /** `host:port`. */
  address: string;
  /** Connect timeout; default 10s. */
  timeoutMs?: number;
}

/** Runs one TCP check. Never rejects. */
export function runTcpCheck(options: TcpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const { address } = options;
  let target: { host: string; port: number };
  try {
    target = splitHostPort(address);
  } catch (err) {
    return Promise.resolve({ status: 'critical', output: `dial tcp: ${errorMessage(err)}` });
  }
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_NETWORK_TIMEOUT_MS);
  return settleOnce(
    {
      timeoutMs,
      signal,
      timedOut: () => ({ status: 'critical', output: `dial tcp ${address}: i/o timeout` }),
      canceled: () => ({
        status: 'critical',
        output: `dial tcp ${address}: operation was canceled`,
      }),
    },
    (finish) => {
      const socket = net.connect({ host: target.host, port: target.port });
      socket.once('connect', () =>
        finish({ status: 'passing', output: `TCP connect ${address}: Success` }),
      );
      socket.once('error', (err) =>
        finish({ status: 'critical', output: describeDialError('tcp', address, err) }),
      );
      return () => socket.destroy();
    },
  );
}
