// serf's snapshot file (snapshot.go): an append-only text log of member joins and departures and
// of the three clocks, replayed at start so a restarted node knows whom to rejoin and does not
// replay old events; compacted (rewritten to `<path>.compact`, then renamed) when it grows.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { MemberEvent } from './members';

export const SNAPSHOT_MIN_COMPACT_SIZE = 128 * 1024;
const SNAPSHOT_BYTES_PER_NODE = 128;
const SNAPSHOT_COMPACTION_THRESHOLD = 2;
/** Buffered lines are written at most this long after they were appended. */
export const SNAPSHOT_FLUSH_INTERVAL_MS = 500;
const COMPACT_SUFFIX = '.compact';

export interface SnapshotState {
  /** name → "ip:port" */
  aliveNodes: Map<string, string>;
  lastClock: number;
  lastEventClock: number;
  lastQueryClock: number;
}

export interface PreviousNode {
  name: string;
  addr: string;
}

/** Replays snapshot text; `warn` receives lines it could not use. */
export function replaySnapshot(
  text: string,
  rejoinAfterLeave: boolean,
  warn: (msg: string) => void,
): SnapshotState {
  const st: SnapshotState = {
    aliveNodes: new Map(),
    lastClock: 0,
    lastEventClock: 0,
    lastQueryClock: 0,
  };
  const lines = text.split('\n');
  // A last line without its newline was cut short by a crash: Go's replay drops it too.
  lines.pop();
  const parseClock = (line: string, prefix: string, what: string): number | null => {
    const v = line.slice(prefix.length);
    if (!/^\d+$/.test(v)) {
      warn(`Failed to convert ${what} time: ${JSON.stringify(v)}`);
      return null;
    }
    return Number(v);
  };
  for (const line of lines) {
    if (line.startsWith('alive: ')) {
      const info = line.slice('alive: '.length);
      const at = info.lastIndexOf(' ');
      if (at === -1) {
        warn(`Failed to parse address: ${line}`);
        continue;
      }
      st.aliveNodes.set(info.slice(0, at), info.slice(at + 1));
    } else if (line.startsWith('not-alive: ')) {
      st.aliveNodes.delete(line.slice('not-alive: '.length));
    } else if (line.startsWith('clock: ')) {
      const v = parseClock(line, 'clock: ', 'clock');
      if (v !== null) st.lastClock = v;
    } else if (line.startsWith('event-clock: ')) {
      const v = parseClock(line, 'event-clock: ', 'event clock');
      if (v !== null) st.lastEventClock = v;
    } else if (line.startsWith('query-clock: ')) {
      const v = parseClock(line, 'query-clock: ', 'query clock');
      if (v !== null) st.lastQueryClock = v;
    } else if (line.startsWith('coordinate: ')) {
      continue; // legacy
    } else if (line === 'leave') {
      if (!rejoinAfterLeave) {
        st.aliveNodes.clear();
        st.lastClock = 0;
        st.lastEventClock = 0;
        st.lastQueryClock = 0;
      }
    } else if (line.startsWith('#')) {
      continue;
    } else {
      warn(`Unrecognized snapshot line: ${line}`);
    }
  }
  return st;
}

export class Snapshotter {
  private fd: number;
  private pending = '';
  private lastFlush = 0;
  private offset: number;
  private leaving = false;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly rejoinAfterLeave: boolean,
    private readonly minCompactSize: number,
    private readonly state: SnapshotState,
    private readonly log: (level: 'warn' | 'error', msg: string) => void,
    size: number,
  ) {
    this.fd = openSync(path, 'a', 0o644);
    this.offset = size;
  }

  /** Opens (creating) the snapshot and replays it. Throws `failed to open snapshot: …`. */
  static open(
    path: string,
    rejoinAfterLeave: boolean,
    log: (level: 'warn' | 'error', msg: string) => void,
    minCompactSize = SNAPSHOT_MIN_COMPACT_SIZE,
  ): Snapshotter {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`failed to open snapshot: ${(err as Error).message}`);
      }
    }
    const state = replaySnapshot(text, rejoinAfterLeave, (m) => log('warn', m));
    return new Snapshotter(
      path,
      rejoinAfterLeave,
      minCompactSize,
      state,
      log,
      Buffer.byteLength(text),
    );
  }

  lastClock(): number {
    return this.state.lastClock;
  }

  lastEventClock(): number {
    return this.state.lastEventClock;
  }

  lastQueryClock(): number {
    return this.state.lastQueryClock;
  }

  /** The nodes alive when we stopped, shuffled (serf rejoins them one by one). */
  aliveNodes(random: () => number = Math.random): PreviousNode[] {
    const out = [...this.state.aliveNodes].map(([name, addr]) => ({ name, addr }));
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** A member event; `memberClock` is the member clock's current time. */
  recordMemberEvent(e: MemberEvent, memberClock: number, now: number): void {
    if (this.leaving) return;
    if (e.type === 'member-join') {
      for (const m of e.members) {
        const addr = m.addr.includes(':') ? `[${m.addr}]:${m.port}` : `${m.addr}:${m.port}`;
        this.state.aliveNodes.set(m.name, addr);
        this.append(`alive: ${m.name} ${addr}\n`, now);
      }
    } else if (e.type === 'member-leave' || e.type === 'member-failed') {
      for (const m of e.members) {
        this.state.aliveNodes.delete(m.name);
        this.append(`not-alive: ${m.name}\n`, now);
      }
    }
    this.updateClock(memberClock, now);
  }

  recordUserEvent(ltime: number, now: number): void {
    if (this.leaving || ltime <= this.state.lastEventClock) return;
    this.state.lastEventClock = ltime;
    this.append(`event-clock: ${ltime}\n`, now);
  }

  recordQuery(ltime: number, now: number): void {
    if (this.leaving || ltime <= this.state.lastQueryClock) return;
    this.state.lastQueryClock = ltime;
    this.append(`query-clock: ${ltime}\n`, now);
  }

  /** Records the member clock (the last time seen = clock − 1) if it moved. */
  updateClock(memberClock: number, now: number): void {
    const lastSeen = memberClock - 1;
    if (lastSeen > this.state.lastClock) {
      this.state.lastClock = lastSeen;
      this.append(`clock: ${lastSeen}\n`, now);
    }
  }

  /** Periodic call from the host: writes the clock and flushes what is buffered. */
  tick(memberClock: number, now: number): void {
    if (this.closed) return;
    if (!this.leaving) this.updateClock(memberClock, now);
    this.flush(now);
  }

  /** We are leaving: forget the alive set (unless rejoin-after-leave), write `leave`, sync. */
  leave(now: number): void {
    if (this.closed || this.leaving) return;
    this.leaving = true;
    if (!this.rejoinAfterLeave) this.state.aliveNodes.clear();
    this.append('leave\n', now);
    this.flush(now);
    this.sync();
  }

  close(memberClock: number, now: number): void {
    if (this.closed) return;
    if (!this.leaving) this.updateClock(memberClock, now);
    this.flush(now);
    this.sync();
    closeSync(this.fd);
    this.closed = true;
  }

  private sync(): void {
    try {
      fsyncSync(this.fd);
    } catch (err) {
      this.log('error', `failed to sync snapshot: ${(err as Error).message}`);
    }
  }

  private append(line: string, now: number): void {
    if (this.closed) return;
    this.pending += line;
    this.offset += Buffer.byteLength(line);
    if (now - this.lastFlush > SNAPSHOT_FLUSH_INTERVAL_MS) this.flush(now);
    if (this.offset > this.maxSize()) {
      try {
        this.compact(now);
      } catch (err) {
        this.log('error', `Failed to update snapshot: ${(err as Error).message}`);
      }
    }
  }

  flush(now: number): void {
    this.lastFlush = now;
    if (this.pending === '' || this.closed) return;
    const data = this.pending;
    this.pending = '';
    try {
      writeSync(this.fd, data);
    } catch (err) {
      this.log('error', `Failed to update snapshot: ${(err as Error).message}`);
    }
  }

  private maxSize(): number {
    const threshold =
      this.state.aliveNodes.size * SNAPSHOT_BYTES_PER_NODE * SNAPSHOT_COMPACTION_THRESHOLD;
    return Math.max(threshold, this.minCompactSize);
  }

  /** Rewrites the file with just the alive set and the clocks. */
  compact(now: number): void {
    this.flush(now);
    let body = '';
    for (const [name, addr] of this.state.aliveNodes) body += `alive: ${name} ${addr}\n`;
    body += `clock: ${this.state.lastClock}\n`;
    body += `event-clock: ${this.state.lastEventClock}\n`;
    body += `query-clock: ${this.state.lastQueryClock}\n`;
    const tmp = this.path + COMPACT_SUFFIX;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    closeSync(this.fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, 'a', 0o644);
    this.offset = Buffer.byteLength(body);
  }
}
