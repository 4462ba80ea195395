// Fans the agent's log lines out to live readers (/v1/agent/monitor): each subscriber has its
// own level and format and a bounded buffer (Consul: 512 lines, the rest dropped and counted),
// drained by the reader at its own pace. Lines are parsed only while someone listens.
import {
  formatJsonRecord,
  formatTextRecord,
  PINO_LEVELS,
  type LogLevelName,
  type LogRecord,
} from './log-lines';

export const MONITOR_BUFFER_LINES = 512;

export interface LogSubscription {
  /** Takes the buffered lines (oldest first) and how many were dropped since the last take. */
  take(): { lines: string[]; dropped: number };
  /** Wakes `listener` when lines arrive into an empty buffer. */
  onLine(listener: () => void): void;
  close(): void;
}

interface Subscriber {
  level: number;
  json: boolean;
  buffer: string[];
  dropped: number;
  wake: (() => void) | null;
}

export class LogHub {
  private readonly subscribers = new Set<Subscriber>();

  /** The logger's destination calls this with each pino JSON line. */
  publish(jsonLine: string): void {
    if (this.subscribers.size === 0) return;
    let record: LogRecord;
    try {
      record = JSON.parse(jsonLine) as LogRecord;
    } catch {
      return;
    }
    const level = Number(record.level);
    let text: string | null = null;
    let json: string | null = null;
    for (const sub of this.subscribers) {
      if (level < sub.level) continue;
      if (sub.buffer.length >= MONITOR_BUFFER_LINES) {
        sub.dropped += 1;
        continue;
      }
      sub.buffer.push(
        sub.json ? (json ??= formatJsonRecord(record)) : (text ??= formatTextRecord(record)),
      );
      const wake = sub.wake;
      sub.wake = null;
      wake?.();
    }
  }

  subscribe(level: LogLevelName, json: boolean): LogSubscription {
    const sub: Subscriber = { level: PINO_LEVELS[level], json, buffer: [], dropped: 0, wake: null };
    this.subscribers.add(sub);
    return {
      take: () => {
        const out = { lines: sub.buffer, dropped: sub.dropped };
        sub.buffer = [];
        sub.dropped = 0;
        return out;
      },
      onLine: (listener) => {
        sub.wake = listener;
      },
      close: () => {
        this.subscribers.delete(sub);
      },
    };
  }

  get listeners(): number {
    return this.subscribers.size;
  }
}
