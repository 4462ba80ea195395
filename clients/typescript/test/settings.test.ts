// settings()/ConfigSource against a real agent: parsing, validation (invalid versions rejected,
// last good kept), change events, the cache file when the agent is down at start, failFast.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  ConfigSource,
  Consul,
  ConsulRequestError,
  settings,
  SettingsValidationError,
  type SafeParseResult,
  type SettingsChange,
  type SettingsRejection,
} from '../src';
import {
  eventually,
  startAgentProcess,
  startAgentWithClient,
  type AgentProcess,
} from './agent-process';

interface AppSettings {
  db: { host: string; port: number };
  features: string[];
}

/** A hand-written validator in the `safeParse` shape schema libraries use. */
const appSettings = {
  safeParse(input: unknown): SafeParseResult<AppSettings> {
    const value = input as Partial<AppSettings> | null;
    if (typeof value?.db?.host !== 'string') return { success: false, error: 'db.host missing' };
    if (!Number.isInteger(value.db.port) || value.db.port <= 0) {
      return { success: false, error: new Error(`db.port ${value.db.port} is not a port`) };
    }
    if (!Array.isArray(value.features)) return { success: false, error: 'features missing' };
    return { success: true, data: value as AppSettings };
  },
};

const fast = { startTimeoutMs: 500, backoff: { initialMs: 50, maxMs: 200 }, wait: '10s' };

let agent: AgentProcess;
let consul: Consul;
let dir: string;

before(async () => {
  ({ agent, consul } = await startAgentWithClient());
  dir = mkdtempSync(join(tmpdir(), 'consulate-sdk-settings-'));
});
after(async () => {
  await agent.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const json = (value: unknown): string => JSON.stringify(value);

describe('settings', () => {
  test('loads a JSON key and reports changes with the paths that changed', async () => {
    await consul.kv.put('s1/app.json', json({ db: { host: 'a', port: 1 }, features: ['x'] }));
    const source = await settings(consul, { key: 's1/app.json', validate: appSettings, ...fast });
    try {
      assert.deepEqual(source.value, { db: { host: 'a', port: 1 }, features: ['x'] });
      assert.equal(source.origin, 'agent');
      const changes: SettingsChange<AppSettings>[] = [];
      source.on('change', (change: SettingsChange<AppSettings>) => changes.push(change));
      await consul.kv.put(
        's1/app.json',
        json({ db: { host: 'a', port: 2 }, features: ['x', 'y'] }),
      );
      await eventually(() => changes.length === 1, 'the change event');
      assert.deepEqual(changes[0].previous, { db: { host: 'a', port: 1 }, features: ['x'] });
      assert.deepEqual(changes[0].value, { db: { host: 'a', port: 2 }, features: ['x', 'y'] });
      assert.deepEqual(changes[0].changed, ['db.port', 'features[1]']);
      assert.equal(source.value.db.port, 2);
    } finally {
      source.close();
    }
  });

  test('an invalid version is rejected and reported; the last good value stays', async () => {
    await consul.kv.put('s2/app.json', json({ db: { host: 'a', port: 1 }, features: [] }));
    const source = await settings(consul, { key: 's2/app.json', validate: appSettings, ...fast });
    try {
      const rejections: SettingsRejection[] = [];
      const changes: SettingsChange<AppSettings>[] = [];
      source.on('invalid', (r: SettingsRejection) => rejections.push(r));
      source.on('change', (c: SettingsChange<AppSettings>) => changes.push(c));

      await consul.kv.put('s2/app.json', '{"db": {"host": "a", "port": ');
      await eventually(() => rejections.length === 1, 'the parse failure');
      assert.ok(rejections[0].error instanceof SettingsValidationError);
      assert.match(rejections[0].error.message, /cannot parse settings from key:s2\/app.json/);
      assert.equal(rejections[0].raw, '{"db": {"host": "a", "port": ');

      await consul.kv.put('s2/app.json', json({ db: { host: 'a', port: -5 }, features: [] }));
      await eventually(() => rejections.length === 2, 'the validation failure');
      assert.match(rejections[1].error.message, /db.port -5 is not a port/);
      assert.deepEqual(source.value, { db: { host: 'a', port: 1 }, features: [] });

      await consul.kv.put('s2/app.json', json({ db: { host: 'b', port: 1 }, features: [] }));
      await eventually(() => changes.length === 1, 'the next valid version');
      assert.equal(source.value.db.host, 'b');
      assert.deepEqual(changes[0].previous.db, { host: 'a', port: 1 });
    } finally {
      source.close();
    }
  });

  test('a prefix becomes a tree; values parse by their key extension', async () => {
    await consul.kv.put('s3/name', 'shop');
    await consul.kv.put('s3/db/settings.yaml', 'host: db.local\nport: 5432\n');
    await consul.kv.put('s3/flags.properties', 'beta=true\n');
    await consul.kv.put('s3/prices.csv', 'sku,price\nA,1.5\n');
    await consul.kv.put('s3/folder/', '');
    const source = await settings<Record<string, unknown>>(consul, {
      prefix: 's3/',
      csv: { columns: { price: 'number' } },
      validate: { parse: (input: unknown) => input as Record<string, unknown> },
      ...fast,
    });
    try {
      assert.deepEqual(source.value, {
        name: 'shop',
        db: { 'settings.yaml': { host: 'db.local', port: 5432 } },
        'flags.properties': { beta: 'true' },
        'prices.csv': [{ sku: 'A', price: 1.5 }],
      });
      const changes: SettingsChange<Record<string, unknown>>[] = [];
      source.on('change', (c: SettingsChange<Record<string, unknown>>) => changes.push(c));
      await consul.kv.put('s3/db/settings.yaml', 'host: db.local\nport: 6432\n');
      await eventually(() => changes.length === 1, 'the change');
      assert.deepEqual(changes[0].changed, ['db.settings.yaml.port']);
    } finally {
      source.close();
    }
  });

  test('with the agent down at start it serves the cache file and says so', async () => {
    const cacheFile = join(dir, 'cache-down', 'settings.json');
    const good = { db: { host: 'cached', port: 7 }, features: ['c'] };
    await consul.kv.put('s4/app.json', json(good));
    const first = await settings(consul, {
      key: 's4/app.json',
      validate: appSettings,
      cacheFile,
      ...fast,
    });
    await first.flush();
    first.close();
    assert.ok(existsSync(cacheFile));
    assert.deepEqual(
      readdirSync(join(dir, 'cache-down')).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp files left behind',
    );
    assert.equal(JSON.parse(readFileSync(cacheFile, 'utf8')).source, 'key:s4/app.json');

    const down = new Consul({ address: '127.0.0.1:1' });
    try {
      const source = new ConfigSource(down, {
        key: 's4/app.json',
        validate: appSettings,
        cacheFile,
        ...fast,
      });
      const cacheEvents: unknown[] = [];
      source.on('cache', (e: unknown) => cacheEvents.push(e));
      assert.deepEqual(await source.start(), good);
      assert.equal(source.fromCache, true);
      assert.equal(source.origin, 'cache');
      assert.equal(cacheEvents.length, 1);
      source.close();
    } finally {
      down.close();
    }
  });

  test('after starting from the cache it goes live when the agent returns', async () => {
    const restartable = await startAgentProcess({ persistent: true });
    const cacheFile = join(dir, 'cache-live.json');
    try {
      const client = restartable.client();
      await client.kv.put('s5/app.json', json({ db: { host: 'v1', port: 1 }, features: [] }));
      const first = await settings(client, {
        key: 's5/app.json',
        validate: appSettings,
        cacheFile,
        ...fast,
      });
      await first.flush();
      first.close();
      await restartable.stop();

      const source = await settings(client, {
        key: 's5/app.json',
        validate: appSettings,
        cacheFile,
        ...fast,
      });
      assert.equal(source.fromCache, true);
      assert.equal(source.value.db.host, 'v1');
      let live = 0;
      source.on('live', () => live++);
      const changes: SettingsChange<AppSettings>[] = [];
      source.on('change', (c: SettingsChange<AppSettings>) => changes.push(c));
      await restartable.start();
      await eventually(() => live === 1, 'the live event');
      assert.equal(source.fromCache, false);
      assert.equal(changes.length, 0, 'same settings: no change event');
      await client.kv.put('s5/app.json', json({ db: { host: 'v2', port: 1 }, features: [] }));
      await eventually(() => changes.length === 1, 'a change after going live');
      assert.equal(source.value.db.host, 'v2');
      source.close();
    } finally {
      await restartable.destroy();
    }
  });

  test('without cache or defaults, start waits for the agent', async () => {
    const restartable = await startAgentProcess({ persistent: true });
    try {
      const client = restartable.client();
      await client.kv.put('s6/app.json', json({ db: { host: 'w', port: 1 }, features: [] }));
      await restartable.stop();
      let resolved = false;
      const pending = settings(client, { key: 's6/app.json', validate: appSettings, ...fast });
      void pending.then(() => (resolved = true));
      await new Promise((done) => setTimeout(done, 700));
      assert.equal(resolved, false);
      await restartable.start();
      const source = await pending;
      assert.equal(source.value.db.host, 'w');
      assert.equal(source.origin, 'agent');
      source.close();
    } finally {
      await restartable.destroy();
    }
  });

  test('defaults are used when the agent is down and there is no cache', async () => {
    const down = new Consul({ address: '127.0.0.1:1' });
    const defaults = { db: { host: 'default', port: 1 }, features: [] };
    try {
      const source = await settings(down, {
        key: 's7/app.json',
        validate: appSettings,
        defaults,
        cacheFile: join(dir, 'none', 'missing.json'),
        ...fast,
      });
      assert.equal(source.origin, 'defaults');
      assert.deepEqual(source.value, defaults);
      source.close();
    } finally {
      down.close();
    }
  });

  test('failFast rejects when the agent is down, even with a cache', async () => {
    const cacheFile = join(dir, 'cache-failfast.json');
    await consul.kv.put('s8/app.json', json({ db: { host: 'f', port: 1 }, features: [] }));
    const first = await settings(consul, {
      key: 's8/app.json',
      validate: appSettings,
      cacheFile,
      ...fast,
    });
    await first.flush();
    first.close();
    const down = new Consul({ address: '127.0.0.1:1' });
    try {
      await assert.rejects(
        settings(down, {
          key: 's8/app.json',
          validate: appSettings,
          cacheFile,
          failFast: true,
          ...fast,
        }),
        ConsulRequestError,
      );
    } finally {
      down.close();
    }
  });

  test('failFast rejects an invalid or missing first value', async () => {
    await consul.kv.put('s9/app.json', json({ db: { host: 'x', port: 0 }, features: [] }));
    await assert.rejects(
      settings(consul, { key: 's9/app.json', validate: appSettings, failFast: true, ...fast }),
      (error: unknown) =>
        error instanceof SettingsValidationError && /port 0 is not a port/.test(error.message),
    );
    await assert.rejects(
      settings(consul, { key: 's9/missing.json', failFast: true, ...fast }),
      /key "s9\/missing.json" does not exist/,
    );
  });

  test('a value invalid at start falls back to defaults, then follows valid versions', async () => {
    await consul.kv.put('s10/app.json', 'not json');
    const defaults = { db: { host: 'd', port: 1 }, features: [] };
    const source = await settings(consul, {
      key: 's10/app.json',
      validate: appSettings,
      defaults,
      ...fast,
    });
    try {
      assert.equal(source.origin, 'defaults');
      await consul.kv.put('s10/app.json', json({ db: { host: 'ok', port: 2 }, features: [] }));
      await eventually(() => source.origin === 'agent', 'the valid version');
      assert.equal(source.value.db.host, 'ok');
    } finally {
      source.close();
    }
  });
});
