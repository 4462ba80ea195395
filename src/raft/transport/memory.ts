// Raft between RaftNodes of one process: messages are delivered asynchronously and copied as a
// wire would copy them. For tests and in-process clusters; servers use TcpTransport.
import type { RaftMessage } from '../messages';
import type { Transport } from './types';

export class InProcessNetwork {
  private readonly handlers = new Map<string, (msg: RaftMessage) => void>();
  /** Addresses whose traffic is dropped both ways (a crude partition). */
  private readonly cut = new Set<string>();

  transport(address: string): Transport {
    return {
      start: async (handler) => {
        this.handlers.set(address, handler);
      },
      send: (to, msg) => {
        if (this.cut.has(address) || this.cut.has(to.address)) return;
        const copy = structuredClone(msg);
        setImmediate(() => this.handlers.get(to.address)?.(copy));
      },
      close: async () => {
        this.handlers.delete(address);
      },
    };
  }

  /** Drops every message to and from `address` until healed. */
  isolate(address: string): void {
    this.cut.add(address);
  }

  heal(address: string): void {
    this.cut.delete(address);
  }
}
