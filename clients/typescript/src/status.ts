// `/v1/status`: the Raft leader and peers (RPC addresses).
import type { RequestOptions, Transport } from './transport';

export class Status {
  constructor(private readonly transport: Transport) {}

  /** `"ip:port"` of the Raft leader, `""` when there is none. */
  async leader(options?: RequestOptions): Promise<string> {
    return (
      await this.transport.query<string>({ method: 'GET', path: '/v1/status/leader', options })
    ).data;
  }

  /** RPC addresses of the Raft voters. */
  async peers(options?: RequestOptions): Promise<string[]> {
    return (
      await this.transport.query<string[]>({ method: 'GET', path: '/v1/status/peers', options })
    ).data;
  }
}
