// bench/ui: the web UI at scale (5,000 services on 1,000 nodes, 10,000 keys in one folder) in
// Debian's Chromium. Measured with the Performance API inside the page: the app marks when a
// list first shows its rows (after the paint) and measures each search from the keystroke to
// the filtered rows painted. The peer, measured in the same page and run, is the API alone:
// fetching and parsing the same JSON the page shows, without any UI.
//
//   node dist/bench/ui/main.js [--runs 3]
import os from 'node:os';

import { EPHEMERAL_PORTS, startAgent } from '../../test/agent/spawn-agent';
import { launchChromium } from '../../test/ui/browser';
import { seedInBulk, type NodeSeed } from '../../test/ui/seed';
import { fmt, markdownTable, median } from '../lib';

import type { Browser } from 'playwright-core';

const NODES = 1000;
const SERVICES = 5000;
const KEYS = 10_000;
const GOAL_MS = 1000;

// Browser-side globals as the page functions use them (the project compiles without the DOM).
declare const performance: {
  getEntriesByName(name: string): { startTime: number; duration: number }[];
  now(): number;
};

interface Row {
  what: string;
  ui: number[];
  api: number[];
}

function log(message: string): void {
  process.stderr.write(`[bench:ui ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function catalog(): NodeSeed[] {
  const statuses = ['passing', 'passing', 'passing', 'warning', 'critical'] as const;
  const nodes: NodeSeed[] = [];
  for (let n = 0; n < NODES; n += 1) {
    nodes.push({
      Node: `node-${String(n).padStart(4, '0')}`,
      Address: `10.${n >> 8}.${n & 255}.1`,
    });
  }
  const seeds: NodeSeed[] = [...nodes];
  for (let s = 0; s < SERVICES; s += 1) {
    const node = nodes[s % NODES];
    const name = `svc-${String(s).padStart(5, '0')}`;
    seeds.push({
      ...node,
      Service: {
        ID: name,
        Service: name,
        Tags: [`team-${s % 40}`, s % 2 === 0 ? 'blue' : 'green'],
        Port: 8000 + (s % 1000),
      },
      Checks: [
        {
          CheckID: `check-${name}`,
          Name: 'HTTP',
          Status: statuses[s % statuses.length],
          ServiceID: name,
          Output: 'HTTP GET: 200 OK',
        },
      ],
    });
  }
  return seeds;
}

async function waitForMark(page: import('playwright-core').Page, name: string): Promise<number> {
  await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, name, {
    timeout: 60_000,
  });
  return page.evaluate((mark) => performance.getEntriesByName(mark)[0].startTime, name);
}

/** Time to fetch and parse `url` in the page: what any client pays before drawing anything. */
async function apiAlone(page: import('playwright-core').Page, url: string): Promise<number> {
  return page.evaluate(async (target) => {
    const start = performance.now();
    const response = await fetch(target);
    await response.json();
    return performance.now() - start;
  }, url);
}

/** Types `text` into the search box; the slowest keystroke → filtered rows painted. */
async function searchTime(
  page: import('playwright-core').Page,
  label: string,
  text: string,
): Promise<number> {
  const box = page.getByLabel(label, { exact: true });
  await box.click();
  const durations: number[] = [];
  for (const char of text) {
    const before = await page.evaluate(() => performance.getEntriesByName('ui:search').length);
    await page.keyboard.type(char);
    await page.waitForFunction(
      (count) => performance.getEntriesByName('ui:search').length > count,
      before,
    );
    durations.push(
      await page.evaluate(() => performance.getEntriesByName('ui:search').at(-1)?.duration ?? NaN),
    );
  }
  return Math.max(...durations);
}

async function measure(browser: Browser, base: string, rows: Row[]): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/ui/dc1/services`);
  rows[0].ui.push(await waitForMark(page, 'ui:services:painted'));
  rows[0].api.push(await apiAlone(page, '/v1/internal/ui/services'));
  rows[1].ui.push(await searchTime(page, 'Search services by name or tag', 'svc-0421'));
  rows[1].api.push(NaN);
  await page.goto(`${base}/ui/dc1/nodes`);
  rows[2].ui.push(await waitForMark(page, 'ui:nodes:painted'));
  rows[2].api.push(await apiAlone(page, '/v1/catalog/nodes'));
  await page.goto(`${base}/ui/dc1/kv/bench/`);
  rows[3].ui.push(await waitForMark(page, 'ui:kv:painted'));
  rows[3].api.push(await apiAlone(page, '/v1/kv/bench/?keys&separator=/'));
  rows[4].ui.push(await searchTime(page, 'Search keys', 'key-0421'));
  rows[4].api.push(NaN);
  await page.close();
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
  const agent = await startAgent(['-dev', '-log-level=warn', ...EPHEMERAL_PORTS], 60_000);
  let browser: Browser | undefined;
  try {
    log(`seeding ${NODES} nodes, ${SERVICES} services, ${KEYS} keys over HTTP`);
    const keys = Array.from({ length: KEYS }, (_, i) => ({
      key: `bench/key-${String(i).padStart(5, '0')}`,
      value: JSON.stringify({ id: i, owner: `team-${i % 40}`, enabled: i % 3 === 0 }),
    }));
    await seedInBulk(agent.baseUrl, catalog(), keys);
    browser = await launchChromium();
    const rows: Row[] = [
      { what: 'services list: first paint of rows (5,000 services)', ui: [], api: [] },
      {
        what: 'services search: keystroke → filtered rows painted (slowest of 8)',
        ui: [],
        api: [],
      },
      { what: 'nodes list: first paint of rows (1,000 nodes)', ui: [], api: [] },
      { what: 'KV tree: first paint of rows (10,000 keys in one folder)', ui: [], api: [] },
      { what: 'KV search: keystroke → filtered rows painted (slowest of 8)', ui: [], api: [] },
    ];
    for (let run = 1; run <= runs; run += 1) {
      log(`run ${run}/${runs}`);
      await measure(browser, agent.baseUrl, rows);
    }
    const table = markdownTable(
      [
        'measurement',
        `Consulate UI, ms (median of ${runs})`,
        'API alone: fetch + parse, ms (same page)',
        'goal',
        'met',
      ],
      rows.map((row) => {
        const ui = median(row.ui);
        const api = row.api.every(Number.isNaN) ? NaN : median(row.api);
        return [
          row.what,
          fmt(ui, 0),
          Number.isNaN(api) ? '—' : fmt(api, 0),
          `≤ ${GOAL_MS} ms`,
          ui <= GOAL_MS ? 'yes' : 'no',
        ];
      }),
    );
    const load = os.loadavg().map((value) => value.toFixed(1));
    process.stdout.write(
      `${table}\n\nChromium ${browser.version()}, ${os.cpus().length} CPUs, load average ${load.join(' ')} at the end of the run.\n`,
    );
  } finally {
    await browser?.close();
    await agent.stop('SIGKILL');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
