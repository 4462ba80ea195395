// price-table: serves a price list kept as CSV under one KV key, and follows edits to it live.
//
//   consulate kv put prices/table.csv @prices.csv
//   node dist/clients/typescript/examples/price-table/server.js
//   curl http://127.0.0.1:8080/prices
//
// Env: CONSUL_HTTP_ADDR / CONSUL_HTTP_TOKEN (agent), PORT (default 8080, 0 = any free port),
// PRICES_KEY (default prices/table.csv), PRICES_CACHE (default .cache/price-table.json).
import { createServer } from 'node:http';

import { Consul, settings } from '../../src';

export interface PriceRow {
  sku: string;
  name: string;
  price: number;
  currency: string;
}

/** Rejects tables an edit could break: no rows, blank SKUs, duplicates, negative prices. */
export function validatePrices(input: unknown): PriceRow[] {
  if (!Array.isArray(input) || input.length === 0) throw new Error('the table has no rows');
  const seen = new Set<string>();
  return input.map((row: PriceRow, i) => {
    if (!row.sku) throw new Error(`row ${i + 1}: empty sku`);
    if (seen.has(row.sku)) throw new Error(`row ${i + 1}: duplicate sku ${row.sku}`);
    seen.add(row.sku);
    if (!(row.price >= 0)) throw new Error(`row ${i + 1}: price ${row.price} is negative`);
    if (!/^[A-Z]{3}$/.test(row.currency)) throw new Error(`row ${i + 1}: bad currency`);
    return row;
  });
}

async function main(): Promise<void> {
  const consul = new Consul();
  const prices = await settings<PriceRow[]>(consul, {
    key: process.env.PRICES_KEY ?? 'prices/table.csv',
    csv: { columns: { price: 'number' }, trim: true },
    validate: validatePrices,
    cacheFile: process.env.PRICES_CACHE ?? '.cache/price-table.json',
  });
  let updatedAt = new Date().toISOString();
  if (prices.fromCache) console.log('agent unreachable: serving the cached price table');
  prices.on('live', () => console.log('connected to the agent: serving live prices'));
  prices.on('change', ({ changed }: { changed: string[] }) => {
    updatedAt = new Date().toISOString();
    console.log(`price table updated: ${changed.join(', ')}`);
  });
  prices.on('invalid', ({ error }: { error: Error }) =>
    console.error(`rejected an invalid price table, keeping the previous one: ${error.message}`),
  );

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET') return send(405, { error: 'GET only' });
    if (url.pathname === '/prices') {
      return send(200, { updatedAt, origin: prices.origin, rows: prices.value });
    }
    const match = /^\/prices\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const row = prices.value.find((r) => r.sku === decodeURIComponent(match[1]));
      return row ? send(200, row) : send(404, { error: `no sku ${match[1]}` });
    }
    if (url.pathname === '/healthz') return send(200, { ok: true, origin: prices.origin });
    return send(404, { error: 'not found' });
  });
  server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    console.log(`price-table listening on http://127.0.0.1:${port}`);
  });

  const stop = (): void => {
    prices.close();
    consul.close();
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
