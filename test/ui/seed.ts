// Seeds a real agent over its HTTP API, as an operator would: catalog registrations with
// checks, and KV writes (many at a time through /v1/txn).

export interface CheckSeed {
  CheckID: string;
  Name: string;
  Status: 'passing' | 'warning' | 'critical';
  Output?: string;
  ServiceID?: string;
}

export interface ServiceSeed {
  ID: string;
  Service: string;
  Tags?: string[];
  Address?: string;
  Port?: number;
  Meta?: Record<string, string>;
}

export interface NodeSeed {
  Node: string;
  Address: string;
  NodeMeta?: Record<string, string>;
  Service?: ServiceSeed;
  Checks?: CheckSeed[];
}

async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** PUT /v1/catalog/register: a node, optionally one service and checks. */
export async function register(baseUrl: string, seed: NodeSeed): Promise<void> {
  await call(baseUrl, 'PUT', '/v1/catalog/register', seed);
}

export async function putKey(baseUrl: string, key: string, value: string): Promise<boolean> {
  return (await call(baseUrl, 'PUT', `/v1/kv/${key}`, value)) === true;
}

export async function getKey(
  baseUrl: string,
  key: string,
): Promise<{ value: string; modifyIndex: number } | null> {
  const response = await fetch(`${baseUrl}/v1/kv/${key}`);
  if (response.status === 404) return null;
  const [entry] = (await response.json()) as { Value: string | null; ModifyIndex: number }[];
  return {
    value: Buffer.from(entry.Value ?? '', 'base64').toString('utf8'),
    modifyIndex: entry.ModifyIndex,
  };
}

/** Many catalog registrations and KV writes, 64 operations per /v1/txn. */
export async function seedInBulk(
  baseUrl: string,
  nodes: readonly NodeSeed[],
  keys: readonly { key: string; value: string }[],
): Promise<void> {
  const ops: unknown[] = [];
  for (const node of nodes) {
    ops.push({
      Node: {
        Verb: 'set',
        Node: { Node: node.Node, Address: node.Address, Meta: node.NodeMeta ?? {} },
      },
    });
    if (node.Service !== undefined)
      ops.push({ Service: { Verb: 'set', Node: node.Node, Service: node.Service } });
    for (const check of node.Checks ?? []) {
      ops.push({ Check: { Verb: 'set', Check: { Node: node.Node, ...check } } });
    }
  }
  for (const { key, value } of keys) {
    ops.push({ KV: { Verb: 'set', Key: key, Value: Buffer.from(value).toString('base64') } });
  }
  for (let at = 0; at < ops.length; at += 64) {
    await call(baseUrl, 'PUT', '/v1/txn', ops.slice(at, at + 64));
  }
}
