// gRPC check: grpc.health.v1.Health/Check over node:http2 (Consul's CheckGRPC); SERVING is
// passing, anything else (status, RPC error, no connection) critical.
import * as http2 from 'node:http2';
import { isIP } from 'node:net';
import { DEFAULT_NETWORK_TIMEOUT_MS, type CheckResult, positiveOr } from './definition';
import {
  GRPC_CODE_NAMES,
  SERVING_STATUS_NAMES,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  frameGrpcMessage,
  unframeGrpcMessage,
} from './grpc-health-wire';
import { describeDialError, describeSocketError, errorMessage, splitHostPort } from './net-errors';
import { settleOnce } from './settle';

export interface GrpcCheckOptions {
  /** `host:port` or `host:port/service`. */
  target: string;
  useTls?: boolean;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
  /** Default 10s. */
  timeoutMs?: number;
}

const SERVING = 1;

/** Runs one gRPC health check. Never rejects. */
export function runGrpcCheck(
  options: GrpcCheckOptions,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const { target } = options;
  const slash = target.indexOf('/');
  const server = slash < 0 ? target : target.slice(0, slash);
  const service = slash < 0 ? '' : target.slice(slash + 1);
  let host: string;
  let port: number;
  try {
    ({ host, port } = splitHostPort(server));
  } catch (err) {
    return Promise.resolve(rpcError('Unavailable', `connection error: ${errorMessage(err)}`));
  }
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_NETWORK_TIMEOUT_MS);
  const authority = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const connectOptions: http2.SecureClientSessionOptions = {};
  if (options.useTls === true) {
    connectOptions.rejectUnauthorized = options.tlsSkipVerify !== true;
    const serverName = options.tlsServerName ?? '';
    if (serverName !== '') connectOptions.servername = serverName;
    else if (isIP(host) === 0) connectOptions.servername = host;
  }

  return settleOnce(
    {
      timeoutMs,
      signal,
      timedOut: () => rpcError('DeadlineExceeded', 'context deadline exceeded'),
      canceled: () => rpcError('Canceled', 'context canceled'),
    },
    (finish) => {
      const session = http2.connect(
        `${options.useTls === true ? 'https' : 'http'}://${authority}`,
        connectOptions,
      );
      const dialFailed = (err: unknown): void =>
        finish(
          rpcError(
            'Unavailable',
            `connection error: desc = "transport: Error while dialing: ${describeDialError('tcp', server, err)}"`,
          ),
        );
      session.on('error', dialFailed);
      const stream = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
        'user-agent': 'consulate-health-check',
      });
      const chunks: Buffer[] = [];
      let statusSeen = false;
      let httpStatus = 0;
      const onStatus = (status: unknown, message: unknown): void => {
        statusSeen = true;
        finish(
          verdict(
            target,
            typeof status === 'string' ? status : '2',
            typeof message === 'string' ? message : '',
            chunks,
          ),
        );
      };
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status'] ?? 0);
        // A trailers-only response carries grpc-status among the headers.
        if (headers['grpc-status'] !== undefined)
          onStatus(headers['grpc-status'], headers['grpc-message']);
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('trailers', (trailers) =>
        onStatus(trailers['grpc-status'], trailers['grpc-message']),
      );
      stream.on('end', () => {
        if (statusSeen) return;
        finish(
          httpStatus !== 200
            ? rpcError(
                'Unavailable',
                `unexpected HTTP status code received from server: ${httpStatus}`,
              )
            : rpcError('Internal', 'server closed the stream without sending trailers'),
        );
      });
      stream.on('error', (err) => {
        // A stream cancelled because the session never connected carries the dial error as cause.
        const cause: unknown = (err as { cause?: unknown }).cause;
        if (cause !== undefined) dialFailed(cause);
        else finish(rpcError('Unavailable', describeSocketError(err)));
      });
      stream.end(frameGrpcMessage(encodeHealthCheckRequest(service)));
      return () => session.destroy();
    },
  );
}

/** The check result for a call that ended with grpc-status `statusText`. */
function verdict(
  target: string,
  statusText: string,
  message: string,
  chunks: Buffer[],
): CheckResult {
  const code = Number(statusText);
  if (code !== 0)
    return rpcError(GRPC_CODE_NAMES[code] ?? `Code(${code})`, decodeGrpcMessage(message));
  let serving: number;
  try {
    const body = unframeGrpcMessage(Buffer.concat(chunks));
    if (body === undefined) throw new Error('response message is missing');
    serving = decodeHealthCheckResponse(body);
  } catch (err) {
    return rpcError(
      'Internal',
      `grpc: failed to unmarshal the received message: ${errorMessage(err)}`,
    );
  }
  if (serving === SERVING) return { status: 'passing', output: `gRPC check ${target}: success` };
  const name = SERVING_STATUS_NAMES[serving] ?? String(serving);
  return { status: 'critical', output: `gRPC ${target} serving status: ${name}` };
}

function rpcError(code: string, desc: string): CheckResult {
  return { status: 'critical', output: `rpc error: code = ${code} desc = ${desc}` };
}

/** grpc-message is percent-encoded. */
function decodeGrpcMessage(message: string): string {
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}
