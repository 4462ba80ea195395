// /v1/session/* and KV locks over real HTTP against a real dev agent: every endpoint and error,
// TTL expiry, each invalidation trigger, both behaviors and lock-delay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { eventually, startTestAgent, type HttpResult, type TestAgent } from './harness';

let t: TestAgent;
let node: string;

before(async () => {
  // A low session_ttl_min lets TTL expiry run in well under a second.
  t = await startTestAgent(['-hcl', 'session_ttl_min = "100ms"'], (config) => ({
    ...config,
    prettyJson: false,
  }));
  node = t.agent.config.nodeName;
  // Sessions default to the agent's serfHealth check, which anti-entropy registers.
  await eventuallyAsync(async () => {
    const result = await t.request('GET', `/v1/health/node/${node}`);
    return result.status === 200 && result.text.includes('serfHealth');
  }, 'the agent node and serfHealth in the catalog');
});
after(async () => {
  await t.stop();
});

async function eventuallyAsync(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function json(result: HttpResult): unknown {
  assert.equal(result.headers['content-type'], 'application/json', result.text);
  return JSON.parse(result.text);
}

interface SessionJson {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: string;
  TTL: string;
  NodeChecks: string[] | null;
  ServiceChecks: { ID: string; Namespace: string }[] | null;
  Checks?: string[];
  CreateIndex: number;
  ModifyIndex: number;
}

interface Entry {
  LockIndex: number;
  Key: string;
  Flags: number;
  Value: string | null;
  Session?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

async function create(body?: unknown): Promise<string> {
  const result = await t.request('PUT', '/v1/session/create', {
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(result.status, 200, result.text);
  return (json(result) as { ID: string }).ID;
}

async function createFails(body: unknown): Promise<HttpResult> {
  return t.request('PUT', '/v1/session/create', { body: JSON.stringify(body) });
}

async function info(id: string): Promise<SessionJson | null> {
  const result = await t.request('GET', `/v1/session/info/${id}`);
  assert.equal(result.status, 200);
  const sessions = json(result) as SessionJson[];
  return sessions[0] ?? null;
}

async function put(path: string, body = ''): Promise<string> {
  const result = await t.request('PUT', path, { body });
  assert.equal(result.status, 200, result.text);
  return result.text.trim();
}

async function entry(key: string): Promise<Entry | null> {
  const result = await t.request('GET', `/v1/kv/${key}`);
  if (result.status === 404) return null;
  return (json(result) as Entry[])[0];
}

async function registerCheck(checkID: string, status: string): Promise<void> {
  const result = await t.request('PUT', '/v1/catalog/register', {
    body: JSON.stringify({
      Node: node,
      Address: '127.0.0.1',
      SkipNodeUpdate: true,
      Check: { CheckID: checkID, Name: checkID, Status: status },
    }),
  });
  assert.equal(result.status, 200, result.text);
}

describe('PUT /v1/session/create', () => {
  it('creates a session with Consul defaults, shown in Consul field order', async () => {
    const id = await create();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const result = await t.request('GET', `/v1/session/info/${id}`);
    const [session] = json(result) as SessionJson[];
    assert.deepEqual(Object.keys(session), [
      'ID',
      'Name',
      'Node',
      'LockDelay',
      'Behavior',
      'TTL',
      'NodeChecks',
      'ServiceChecks',
      'CreateIndex',
      'ModifyIndex',
    ]);
    assert.equal(session.Node, node);
    assert.equal(session.LockDelay, 15e9);
    assert.equal(session.Behavior, 'release');
    assert.equal(session.TTL, '');
    assert.deepEqual(session.NodeChecks, ['serfHealth']);
    assert.equal(session.ServiceChecks, null);
    assert.equal(session.CreateIndex, session.ModifyIndex);
    assert.equal(result.headers['x-consul-index'], String(session.CreateIndex));
  });

  it('takes Name, Behavior, TTL and LockDelay as a duration string or a number', async () => {
    const a = await info(
      await create({ Name: 'a', Behavior: 'delete', TTL: '30s', LockDelay: '2s' }),
    );
    assert.equal(a?.Name, 'a');
    assert.equal(a?.Behavior, 'delete');
    assert.equal(a?.TTL, '30s');
    assert.equal(a?.LockDelay, 2e9);
    // Numbers below 1000 are seconds; larger ones nanoseconds.
    assert.equal((await info(await create({ LockDelay: 5 })))?.LockDelay, 5e9);
    assert.equal((await info(await create({ lockdelay: 2500000000 })))?.LockDelay, 2.5e9);
  });

  it('drops the default serfHealth check when Checks is empty, and keeps extra legacy Checks', async () => {
    const none = await info(await create({ Checks: [] }));
    assert.deepEqual(none?.NodeChecks, []);
    assert.equal(none?.Checks, undefined);
    await registerCheck('extra', 'passing');
    const legacy = await info(await create({ Checks: ['serfHealth', 'extra'] }));
    assert.deepEqual(legacy?.Checks, ['serfHealth', 'extra']);
    const bound = await info(await create({ NodeChecks: ['extra'] }));
    assert.deepEqual(bound?.NodeChecks, ['extra']);
    assert.equal(bound?.Checks, undefined);
  });

  it('refuses a bad Behavior, TTL, node or check with Consul errors (500)', async () => {
    const cases: [unknown, string][] = [
      [{ Behavior: 'keep' }, "Invalid Behavior setting 'keep'"],
      [{ TTL: '50ms' }, "Invalid Session TTL '50000000', must be between [100ms=24h0m0s]"],
      [{ TTL: '25h' }, "Invalid Session TTL '90000000000000', must be between [100ms=24h0m0s]"],
      [{ TTL: 'soon' }, 'Session TTL \'soon\' invalid: time: invalid duration "soon"'],
      [{ Node: 'nowhere' }, 'Missing node registration'],
      [{ Node: '' }, 'Must provide Node'],
      [{ NodeChecks: ['ghost'] }, "Missing check 'ghost' registration"],
    ];
    for (const [body, text] of cases) {
      const result = await createFails(body);
      assert.equal(result.status, 500, JSON.stringify(body));
      assert.equal(result.text, text);
    }
  });

  it('refuses to bind a critical check', async () => {
    await registerCheck('down', 'critical');
    const result = await createFails({ NodeChecks: ['down'] });
    assert.equal(result.status, 500);
    assert.equal(result.text, "Check 'down' is in critical state");
  });

  it('answers 400 when the body does not decode', async () => {
    const result = await t.request('PUT', '/v1/session/create', { body: '{"Name":' });
    assert.equal(result.status, 400);
    assert.match(result.text, /^Request decode failed: /);
    const typed = await createFails({ Name: 7 });
    assert.equal(typed.status, 400);
    assert.match(typed.text, /cannot unmarshal number 7 into Go struct field Session.Name/);
  });

  it('is PUT only', async () => {
    const result = await t.request('GET', '/v1/session/create');
    assert.equal(result.status, 405);
  });
});

describe('reads', () => {
  it('info of an unknown session is [] with 200 and an index', async () => {
    const result = await t.request('GET', '/v1/session/info/00000000-0000-0000-0000-000000000000');
    assert.equal(result.status, 200);
    assert.equal(result.text, '[]');
    assert.ok(Number(result.headers['x-consul-index']) > 0);
  });

  it('node and list show the sessions with an index', async () => {
    const id = await create({ Name: 'listed' });
    const byNode = await t.request('GET', `/v1/session/node/${node}`);
    assert.ok((json(byNode) as SessionJson[]).some((s) => s.ID === id));
    assert.ok(Number(byNode.headers['x-consul-index']) > 0);
    const list = await t.request('GET', '/v1/session/list');
    const ids = (json(list) as SessionJson[]).map((s) => s.ID);
    assert.ok(ids.includes(id));
    assert.deepEqual(ids, [...ids].sort());
    assert.equal((await t.request('GET', '/v1/session/node/nobody')).text, '[]');
  });

  it('missing path parts answer 400 as Consul', async () => {
    for (const [method, path, text] of [
      ['GET', '/v1/session/info/', 'Missing session'],
      ['GET', '/v1/session/node/', 'Missing node name'],
      ['PUT', '/v1/session/destroy/', 'Missing session'],
      ['PUT', '/v1/session/renew/', 'Missing session'],
    ]) {
      const result = await t.request(method, path);
      assert.equal(result.status, 400, path);
      assert.equal(result.text, text);
    }
  });

  it('a blocking list returns when a session is created', async () => {
    const first = await t.request('GET', '/v1/session/list');
    const index = Number(first.headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/session/list?index=${index}&wait=10s`);
    const id = await create({ Name: 'wakes' });
    const woken = await blocked;
    assert.ok(Number(woken.headers['x-consul-index']) > index);
    assert.ok((json(woken) as SessionJson[]).some((s) => s.ID === id));
  });

  it('a blocking info returns when that session is destroyed', async () => {
    const id = await create();
    const first = await t.request('GET', `/v1/session/info/${id}`);
    const index = Number(first.headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/session/info/${id}?index=${index}&wait=10s`);
    assert.equal(await put(`/v1/session/destroy/${id}`), 'true');
    assert.equal((await blocked).text, '[]');
  });
});

describe('destroy and renew', () => {
  it('destroy answers true, also for an unknown session', async () => {
    const id = await create();
    assert.equal(await put(`/v1/session/destroy/${id}`), 'true');
    assert.equal(await info(id), null);
    assert.equal(await put(`/v1/session/destroy/${id}`), 'true');
  });

  it('renew answers the session, and 404 with Consul text when unknown', async () => {
    const id = await create({ TTL: '20s' });
    const result = await t.request('PUT', `/v1/session/renew/${id}`);
    assert.equal(result.status, 200);
    assert.equal((json(result) as SessionJson[])[0].ID, id);
    const missing = await t.request('PUT', '/v1/session/renew/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, "Session id 'nope' not found");
  });
});

describe('TTL', () => {
  it('a session not renewed is destroyed after twice its TTL, releasing its lock', async () => {
    const id = await create({ TTL: '200ms', LockDelay: '1ms' });
    assert.equal(await put(`/v1/kv/ttl/lock?acquire=${id}`, 'held'), 'true');
    const started = Date.now();
    await eventuallyAsync(async () => (await info(id)) === null, 'the TTL to expire');
    // Consul's grace: never before TTL × 2.
    assert.ok(Date.now() - started >= 350, `expired after ${Date.now() - started} ms`);
    const released = await entry('ttl/lock');
    assert.equal(released?.Session, undefined);
    assert.equal(released?.LockIndex, 1);
  });

  it('renewing keeps a session alive past its TTL', async () => {
    const id = await create({ TTL: '300ms' });
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      assert.equal((await t.request('PUT', `/v1/session/renew/${id}`)).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.notEqual(await info(id), null);
    await put(`/v1/session/destroy/${id}`);
  });

  it('the leader rebuilds its timers from the store (one per TTL session)', async () => {
    const sessions = t.agent.sessions;
    const id = await create({ TTL: '60s' });
    assert.ok(sessions.armedTimers >= 1);
    await put(`/v1/session/destroy/${id}`);
  });
});

describe('KV ?acquire / ?release', () => {
  it('acquire sets Session and LockIndex, writes the value and flags; re-acquire keeps LockIndex', async () => {
    const id = await create();
    assert.equal(await put(`/v1/kv/locks/a?acquire=${id}&flags=42`, 'v1'), 'true');
    let row = await entry('locks/a');
    assert.equal(row?.Session, id);
    assert.equal(row?.LockIndex, 1);
    assert.equal(row?.Flags, 42);
    assert.equal(Buffer.from(row?.Value ?? '', 'base64').toString(), 'v1');
    assert.equal(await put(`/v1/kv/locks/a?acquire=${id}`, 'v2'), 'true');
    row = await entry('locks/a');
    assert.equal(row?.LockIndex, 1);
    assert.equal(Buffer.from(row?.Value ?? '', 'base64').toString(), 'v2');
  });

  it('another session cannot acquire or release a held lock', async () => {
    const [holder, other] = [await create(), await create()];
    assert.equal(await put(`/v1/kv/locks/b?acquire=${holder}`), 'true');
    assert.equal(await put(`/v1/kv/locks/b?acquire=${other}`), 'false');
    assert.equal(await put(`/v1/kv/locks/b?release=${other}`), 'false');
    assert.equal((await entry('locks/b'))?.Session, holder);
  });

  it('release clears Session, keeps LockIndex, and starts no lock-delay', async () => {
    const [first, second] = [await create(), await create()];
    assert.equal(await put(`/v1/kv/locks/c?acquire=${first}`), 'true');
    assert.equal(await put(`/v1/kv/locks/c?release=${first}`, 'done'), 'true');
    const row = await entry('locks/c');
    assert.equal(row?.Session, undefined);
    assert.equal(row?.LockIndex, 1);
    assert.equal(await put(`/v1/kv/locks/c?acquire=${second}`), 'true');
    assert.equal((await entry('locks/c'))?.LockIndex, 2);
  });

  it('an unknown session answers 500 invalid session', async () => {
    const result = await t.request('PUT', '/v1/kv/locks/d?acquire=nope');
    assert.equal(result.status, 500);
    assert.equal(result.text, 'invalid session "nope"');
  });

  it('acquire with release or cas is a conflict (400)', async () => {
    const result = await t.request('PUT', '/v1/kv/locks/e?acquire=x&release=x');
    assert.equal(result.status, 400);
    assert.match(result.text, /^Conflicting flags: /);
  });

  it('a plain PUT ignores the lock and keeps the holder', async () => {
    const id = await create();
    assert.equal(await put(`/v1/kv/locks/f?acquire=${id}`), 'true');
    assert.equal(await put('/v1/kv/locks/f', 'overwritten'), 'true');
    assert.equal((await entry('locks/f'))?.Session, id);
  });
});

describe('invalidation', () => {
  it('destroy releases held keys, and lock-delay refuses the next acquire until it passes', async () => {
    const holder = await create({ LockDelay: '400ms' });
    const next = await create();
    assert.equal(await put(`/v1/kv/inv/a?acquire=${holder}`, 'x'), 'true');
    const before = await entry('inv/a');
    await put(`/v1/session/destroy/${holder}`);
    const released = await entry('inv/a');
    assert.equal(released?.Session, undefined);
    assert.equal(released?.LockIndex, 1);
    assert.ok((released?.ModifyIndex ?? 0) > (before?.ModifyIndex ?? 0));
    const destroyedAt = Date.now();
    assert.equal(await put(`/v1/kv/inv/a?acquire=${next}`), 'false');
    await eventuallyAsync(
      async () => (await put(`/v1/kv/inv/a?acquire=${next}`)) === 'true',
      'the lock-delay to pass',
    );
    assert.ok(Date.now() - destroyedAt >= 350, 'acquired before the lock-delay ended');
    assert.equal((await entry('inv/a'))?.LockIndex, 2);
  });

  it('behavior delete deletes the held keys', async () => {
    const holder = await create({ Behavior: 'delete', LockDelay: 0 });
    assert.equal(await put(`/v1/kv/inv/b?acquire=${holder}`), 'true');
    await put('/v1/kv/inv/b-free', 'stays');
    await put(`/v1/session/destroy/${holder}`);
    assert.equal(await entry('inv/b'), null);
    assert.notEqual(await entry('inv/b-free'), null);
  });

  it('a bound check turning critical invalidates the session', async () => {
    await registerCheck('guard', 'passing');
    const id = await create({ NodeChecks: ['serfHealth', 'guard'], LockDelay: 0 });
    assert.equal(await put(`/v1/kv/inv/c?acquire=${id}`), 'true');
    await registerCheck('guard', 'warning');
    assert.notEqual(await info(id), null);
    await registerCheck('guard', 'critical');
    assert.equal(await info(id), null);
    assert.equal((await entry('inv/c'))?.Session, undefined);
  });

  it('deregistering a bound check invalidates the session', async () => {
    await registerCheck('gone', 'passing');
    const id = await create({ NodeChecks: ['gone'] });
    const result = await t.request('PUT', '/v1/catalog/deregister', {
      body: JSON.stringify({ Node: node, CheckID: 'gone' }),
    });
    assert.equal(result.status, 200, result.text);
    assert.equal(await info(id), null);
  });

  it('deregistering the node invalidates all its sessions', async () => {
    const other = 'session-node';
    const registered = await t.request('PUT', '/v1/catalog/register', {
      body: JSON.stringify({ Node: other, Address: '10.0.0.9' }),
    });
    assert.equal(registered.status, 200);
    const ids = [
      await create({ Node: other, Checks: [] }),
      await create({ Node: other, Checks: [] }),
    ];
    assert.equal(await put(`/v1/kv/inv/d?acquire=${ids[0]}`), 'true');
    const listed = json(await t.request('GET', `/v1/session/node/${other}`)) as SessionJson[];
    assert.equal(listed.length, 2);
    await t.request('PUT', '/v1/catalog/deregister', { body: JSON.stringify({ Node: other }) });
    for (const id of ids) assert.equal(await info(id), null);
    assert.equal((await entry('inv/d'))?.Session, undefined);
  });
});

describe('txn lock verbs', () => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');

  it('lock, check-session and unlock follow ?acquire/?release', async () => {
    const id = await create();
    const other = await create();
    const lock = await t.request('PUT', '/v1/txn', {
      body: JSON.stringify([{ KV: { Verb: 'lock', Key: 'txn/l', Value: b64('v'), Session: id } }]),
    });
    assert.equal(lock.status, 200, lock.text);
    const [{ KV: locked }] = (json(lock) as { Results: { KV: Entry }[] }).Results;
    assert.equal(locked.Session, id);
    assert.equal(locked.LockIndex, 1);
    const held = await t.request('PUT', '/v1/txn', {
      body: JSON.stringify([{ KV: { Verb: 'lock', Key: 'txn/l', Session: other } }]),
    });
    assert.equal(held.status, 409);
    assert.deepEqual((json(held) as { Errors: unknown }).Errors, [
      { OpIndex: 0, What: 'failed to lock key "txn/l", lock is already held' },
    ]);
    const check = await t.request('PUT', '/v1/txn', {
      body: JSON.stringify([{ KV: { Verb: 'check-session', Key: 'txn/l', Session: id } }]),
    });
    assert.equal(check.status, 200, check.text);
    const wrongUnlock = await t.request('PUT', '/v1/txn', {
      body: JSON.stringify([{ KV: { Verb: 'unlock', Key: 'txn/l', Session: other } }]),
    });
    assert.equal(wrongUnlock.status, 409);
    const unlock = await t.request('PUT', '/v1/txn', {
      body: JSON.stringify([{ KV: { Verb: 'unlock', Key: 'txn/l', Session: id } }]),
    });
    assert.equal(unlock.status, 200, unlock.text);
    assert.equal((await entry('txn/l'))?.Session, undefined);
  });
});

describe('state survives', () => {
  it('a snapshot round-trip keeps sessions and who holds what', async () => {
    const id = await create({ Name: 'snap' });
    assert.equal(await put(`/v1/kv/snap/k?acquire=${id}`), 'true');
    const { store } = t.agent;
    const copy = new (store.constructor as new () => typeof store)();
    copy.restore(store.snapshot());
    assert.equal(copy.sessionGet(id).value?.name, 'snap');
    assert.equal(copy.kvGet('snap/k').value?.session, id);
    await eventually(() => store.sessionGet(id).value !== null, 'the session');
  });
});
