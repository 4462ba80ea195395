// Helpers for the memberlist tests that use real sockets.
import pino, { type Logger } from 'pino';
import {
  localConfig,
  Memberlist,
  type Delegate,
  type MemberlistConfig,
  type MemberlistNode,
} from '../../../src/gossip/memberlist';

/** A logger whose lines (parsed) are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        const parsed = JSON.parse(line) as { level: number; msg: string };
        lines.push({ level: parsed.level, msg: parsed.msg });
      },
    },
  );
  return { logger, lines };
}

/** Fast timing on loopback: detection in about two seconds. */
export function fastConfig(
  name: string,
  overrides: Partial<MemberlistConfig> = {},
): MemberlistConfig {
  return {
    ...localConfig(),
    name,
    bindAddr: '127.0.0.1',
    bindPort: 0,
    probeInterval: 100,
    probeTimeout: 50,
    gossipInterval: 20,
    pushPullInterval: 1000,
    suspicionMult: 3,
    tcpTimeout: 2000,
    ...overrides,
  };
}

export async function waitFor(
  what: string,
  cond: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stateOf(m: Memberlist, name: string): MemberlistNode['state'] | null {
  return m.stateOf(name);
}

/** A delegate that records what memberlist hands it. */
export class RecordingDelegate implements Delegate {
  readonly messages: string[] = [];
  readonly remoteStates: { state: string; join: boolean }[] = [];
  constructor(
    public meta: string,
    private readonly state: string,
  ) {}
  nodeMeta(): Uint8Array {
    return Buffer.from(this.meta);
  }
  notifyMsg(msg: Uint8Array): void {
    this.messages.push(Buffer.from(msg).toString());
  }
  getBroadcasts(): Uint8Array[] {
    return [];
  }
  localState(): Uint8Array {
    return Buffer.from(this.state);
  }
  mergeRemoteState(buf: Uint8Array, join: boolean): void {
    this.remoteStates.push({ state: Buffer.from(buf).toString(), join });
  }
}
