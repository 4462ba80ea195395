// Transport between RaftNodes of one process, for tests: messages are copied (as a wire would)
// and delivered on a later turn of the event loop. Addresses not started are unreachable and
// their messages are dropped, as TcpTransport drops them.
import type { RaftMessage } from '../messages';
import type { Transport } from './types';

export class MemoryNetwork {
  private readonly handlers = new Map<string, (msg: RaftMessage) => void>();

  /** The transport of the server listening at `address`. */
  transport(address: string): Transport {
    return {
      start: async (handler) => {
        this.handlers.set(address, handler);
      },
      send: (to, msg) => {
        const copy = structuredClone(msg);
        setImmediate(() => this.handlers.get(to.address)?.(copy));
      },
      close: async () => {
        this.handlers.delete(address);
      },
    };
  }
}
