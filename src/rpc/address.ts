// `host:port` and `[v6]:port` as Consul writes server addresses.

export interface HostPort {
  host: string;
  port: number;
}

export function parseAddress(address: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new RangeError(`address "${address}" is not host:port`);
  }
  return { host: match[1] ?? match[2], port };
}
