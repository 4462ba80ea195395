// The price-table example end to end: CSV moved into KV with the consulate CLI, served as JSON
// by the example app (a child process), edits picked up live, a broken edit rejected.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { consulateMain, eventually, startAgentProcess, type AgentProcess } from './agent-process';

const appMain = resolve(__dirname, '../examples/price-table/server.js');
const sampleCsv = resolve(
  __dirname,
  '../../../../clients/typescript/examples/price-table/prices.csv',
);

let agent: AgentProcess;
let dir: string;
let app: ChildProcess | undefined;

before(async () => {
  agent = await startAgentProcess();
  dir = mkdtempSync(join(tmpdir(), 'consulate-price-table-'));
});
after(async () => {
  app?.kill('SIGTERM');
  await agent.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function kvPut(key: string, file: string): Promise<void> {
  await promisify(execFile)(process.execPath, [
    consulateMain,
    'kv',
    'put',
    '-http-addr',
    agent.address,
    key,
    `@${file}`,
  ]);
}

interface PricesBody {
  origin: string;
  rows: { sku: string; name: string; price: number; currency: string }[];
}

function getJson(port: number, path: string): Promise<PricesBody> {
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => done(JSON.parse(body) as PricesBody));
    })
      .on('error', fail)
      .end();
  });
}

test('the price table is served from KV and follows edits live', async () => {
  await kvPut('prices/table.csv', sampleCsv);

  const proc = spawn(process.execPath, [appMain], {
    env: {
      ...process.env,
      CONSUL_HTTP_ADDR: `http://${agent.address}`,
      PORT: '0',
      PRICES_CACHE: join(dir, 'cache.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app = proc;
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(
    () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(output),
    'the app to listen',
  );
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);

  const first = await getJson(port, '/prices');
  assert.equal(first.origin, 'agent');
  assert.deepEqual(
    first.rows.map((r) => [r.sku, r.price]),
    [
      ['A-100', 2.4],
      ['A-101', 3.9],
      ['A-102', 8.5],
      ['B-200', 1.8],
    ],
  );
  assert.equal(first.rows[1].name, 'Flat white, large');
  assert.equal(first.rows[2].name, 'The "House" blend (250 g)');

  const edited = join(dir, 'edited.csv');
  writeFileSync(
    edited,
    'sku,name,price,currency\nA-100,Espresso,2.60,EUR\nC-300,"Tea,\nlarge",2.00,EUR\n',
  );
  await kvPut('prices/table.csv', edited);
  await eventually(
    async () => (await getJson(port, '/prices')).rows[0].price === 2.6,
    'the edited price to be served',
  );
  const second = await getJson(port, '/prices');
  assert.deepEqual(
    second.rows.map((r) => r.sku),
    ['A-100', 'C-300'],
  );
  assert.equal(second.rows[1].name, 'Tea,\nlarge');

  const broken = join(dir, 'broken.csv');
  writeFileSync(broken, 'sku,name,price,currency\nA-100,Espresso,-1,EUR\n');
  await kvPut('prices/table.csv', broken);
  await eventually(() => output.includes('rejected an invalid price table'), 'the rejection');
  assert.deepEqual(await getJson(port, '/prices'), second, 'the last good table is still served');

  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
  proc.kill('SIGTERM');
  assert.equal(await exited, 0);
  app = undefined;
});
