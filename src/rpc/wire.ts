// The frames of the call protocol (first byte RpcType.Consul). Calls on one connection are told
// apart by `id`, so replies may come back in any order and many calls share one socket.
import { FrameError } from './frames';
import { MAX_METHOD_NAME } from './methods';
import { scalarFields, type WireError } from './errors';

export interface CallFrame {
  kind: 'call';
  id: number;
  method: string;
  args: unknown;
  /** The caller's deadline, relative, so that clocks need not agree. */
  timeoutMs?: number;
}

/** The caller gave up on call `id`: the server aborts its handler and sends no reply. */
export interface CancelFrame {
  kind: 'cancel';
  id: number;
}

export interface ReplyFrame {
  kind: 'reply';
  id: number;
  result?: unknown;
  error?: WireError;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requestId(frame: Record<string, unknown>): number {
  const id = frame.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new FrameError(`frame id ${String(id)} is not a non-negative integer`);
  }
  return id;
}

/** What a server accepts from a client; anything else is a protocol error (FrameError). */
export function parseClientFrame(raw: unknown): CallFrame | CancelFrame {
  if (!isRecord(raw)) throw new FrameError('frame is not a map');
  const id = requestId(raw);
  if (raw.kind === 'cancel') return { kind: 'cancel', id };
  if (raw.kind !== 'call') throw new FrameError(`unknown frame kind ${String(raw.kind)}`);
  const { method, timeoutMs } = raw;
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_NAME) {
    throw new FrameError('call frame without a valid method name');
  }
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
  ) {
    throw new FrameError(`call frame timeoutMs ${String(timeoutMs)} is not a positive number`);
  }
  return { kind: 'call', id, method, args: raw.args, timeoutMs };
}

export function parseWireError(raw: unknown): WireError {
  if (!isRecord(raw) || typeof raw.name !== 'string' || typeof raw.message !== 'string') {
    throw new FrameError('reply error without name and message');
  }
  const data = isRecord(raw.data) ? scalarFields(raw.data) : {};
  return { name: raw.name, message: raw.message, data };
}

/** What a client accepts from a server. */
export function parseReplyFrame(raw: unknown): ReplyFrame {
  if (!isRecord(raw)) throw new FrameError('frame is not a map');
  if (raw.kind !== 'reply') throw new FrameError(`unknown frame kind ${String(raw.kind)}`);
  const id = requestId(raw);
  if (raw.error !== undefined && raw.error !== null) {
    return { kind: 'reply', id, error: parseWireError(raw.error) };
  }
  return { kind: 'reply', id, result: raw.result };
}
