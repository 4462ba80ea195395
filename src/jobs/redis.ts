// Connections to Redis for BullMQ: a start-up probe that fails fast with a clear message, and
// long-lived clients that reconnect with capped backoff, logging an outage once and its end once.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Redis was not reachable when the agent or a worker started. */
export class RedisUnavailableError extends Error {
  constructor(url: string, cause: string) {
    super(`jobs.redis: cannot reach Redis at ${url}: ${cause}`);
    this.name = 'RedisUnavailableError';
  }
}

/** Connects once, without retrying, and PINGs; throws RedisUnavailableError otherwise. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED…) says more than connect()'s "Connection is closed".
  let socketError: unknown = null;
  probe.on('error', (err: unknown) => (socketError ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new RedisUnavailableError(url, describe(socketError ?? err));
  } finally {
    probe.disconnect();
  }
}

/** Backoff between reconnection attempts: 100 ms doubling to 5 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
}

/**
 * A client BullMQ can use (maxRetriesPerRequest null: commands wait through an outage instead of
 * failing), reconnecting forever with backoff.
 */
export function connectRedis(url: string, logger: Logger, role: string): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => reconnectDelayMs(attempt),
  });
  watchOutages(client, url, logger, role);
  return client;
}

/** One warn line when a client loses Redis, one info line when it is back. */
export function watchOutages(client: Redis, url: string, logger: Logger, role: string): void {
  let down = false;
  const lost = (err: string): void => {
    if (down) return;
    down = true;
    logger.warn({ redis: url, role, err }, 'Redis unreachable; retrying with backoff');
  };
  client.on('error', (err: unknown) => lost(describe(err)));
  // A dropped connection is an outage even when the first reconnect succeeds and no error is
  // ever emitted (Redis restarted within the backoff delay).
  client.on('reconnecting', () => lost('connection closed'));
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: url, role }, 'Redis reachable again');
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code !== undefined && !err.message.includes(code)
      ? `${code}: ${err.message}`
      : err.message;
  }
  return String(err);
}
