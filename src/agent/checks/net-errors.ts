// Socket addresses and errors as Consul's Go runtime words them, so that check output reads the
// same to people and tools used to Consul.

export interface HostPort {
  host: string;
  port: number;
}

/** Go's net.SplitHostPort: `host:port` or `[v6]:port`; throws with Go's wording. */
export function splitHostPort(address: string): HostPort {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0) throw new Error(`address ${address}: missing ']' in address`);
    host = address.slice(1, end);
    if (address[end + 1] !== ':') throw new Error(`address ${address}: missing port in address`);
    portText = address.slice(end + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw new Error(`address ${address}: missing port in address`);
    host = address.slice(0, colon);
    if (host.includes(':')) throw new Error(`address ${address}: too many colons in address`);
    portText = address.slice(colon + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new Error(`dial: address ${portText}: invalid port`);
  return { host: host === '' ? 'localhost' : host, port };
}

const SYSCALL_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  EADDRNOTAVAIL: 'connect: cannot assign requested address',
  ECONNRESET: 'read: connection reset by peer',
  EPIPE: 'write: broken pipe',
  ETIMEDOUT: 'i/o timeout',
};

/** The error's code (ECONNREFUSED, …) when it carries one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `dial tcp 127.0.0.1:1: connect: connection refused` and friends. */
export function describeDialError(network: 'tcp' | 'udp', address: string, err: unknown): string {
  const code = errorCode(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    const { host } = safeSplit(address);
    return `dial ${network}: lookup ${host}: no such host`;
  }
  const text = code !== undefined ? SYSCALL_TEXT[code] : undefined;
  return `dial ${network} ${address}: ${text ?? errorMessage(err)}`;
}

/** Text for a failure after the connection was up (reset, refused on read…). */
export function describeSocketError(err: unknown): string {
  const code = errorCode(err);
  const text = code !== undefined ? SYSCALL_TEXT[code] : undefined;
  return text ?? errorMessage(err);
}

function safeSplit(address: string): HostPort {
  try {
    return splitHostPort(address);
  } catch {
    return { host: address, port: 0 };
  }
}
