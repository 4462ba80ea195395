// The web UI in Debian's Chromium against a real -dev agent seeded over HTTP: every page shows
// its data from a deep link, searches filter as you type, a key is saved and a concurrent edit
// refused, a service turning critical shows without a reload. Each page's screenshot is written
// to screenshotDir() and the page is scanned with axe-core: no serious accessibility violation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { EPHEMERAL_PORTS, startAgent, type RunningAgent } from '../agent/spawn-agent';
import { launchChromium, screenshotDir } from './browser';
import { getKey, putKey, register, type NodeSeed } from './seed';

// The page's globals as the functions run in the browser use them (this project compiles
// without the DOM library).
interface PageElement {
  textContent: string | null;
  value: string;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  activeElement: PageElement | null;
  documentElement: { scrollWidth: number };
};
declare const window: object;

let agent: RunningAgent;
let browser: Browser;
const shots = screenshotDir();

const WEB_1: NodeSeed = {
  Node: 'web-1',
  Address: '10.0.0.11',
  NodeMeta: { rack: 'r1', zone: 'eu-west-1a' },
  Service: {
    ID: 'web-1',
    Service: 'web',
    Tags: ['v1', 'primary'],
    Port: 8080,
    Meta: { version: '1.2.3' },
  },
  Checks: [
    {
      CheckID: 'web-http',
      Name: 'HTTP on 8080',
      Status: 'passing',
      Output: 'HTTP GET http://10.0.0.11:8080/health: 200 OK',
      ServiceID: 'web-1',
    },
  ],
};

before(async () => {
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS]);
  const base = agent.baseUrl;
  await register(base, WEB_1);
  await register(base, {
    Node: 'web-2',
    Address: '10.0.0.12',
    Service: { ID: 'web-2', Service: 'web', Tags: ['v1'], Port: 8080 },
    Checks: [
      {
        CheckID: 'web-http',
        Name: 'HTTP on 8080',
        Status: 'warning',
        Output: 'slow: 900ms',
        ServiceID: 'web-2',
      },
    ],
  });
  await register(base, {
    Node: 'db-1',
    Address: '10.0.0.21',
    Service: { ID: 'postgres', Service: 'postgres', Tags: ['primary', 'sql'], Port: 5432 },
    Checks: [
      {
        CheckID: 'pg',
        Name: 'pg_isready',
        Status: 'passing',
        Output: 'accepting connections',
        ServiceID: 'postgres',
      },
      { CheckID: 'disk', Name: 'Disk', Status: 'passing', Output: '40% used' },
    ],
  });
  await register(base, {
    Node: 'cache-1',
    Address: '10.0.0.31',
    Service: { ID: 'redis', Service: 'redis', Tags: ['cache'], Port: 6379 },
  });
  await putKey(base, 'config/app/settings.json', '{"feature": true}');
  await putKey(base, 'config/app/settings.yaml', 'feature: true\nlimits: [1, 2]\n');
  await putKey(base, 'config/db/url', 'postgres://db-1:5432/app?sslmode=require');
  await putKey(base, 'top-level', 'hello');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await agent?.stop('SIGKILL');
});

async function open(path: string, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${agent.baseUrl}${path}`);
  return page;
}

const pageErrors = new WeakMap<Page, string[]>();

/** Closes the page; it must not have thrown anything meanwhile. */
async function close(page: Page): Promise<void> {
  const url = page.url();
  await page.close();
  assert.deepEqual(pageErrors.get(page), [], `errors in the page at ${url}`);
}

/** Writes the page's screenshot, then checks it with axe-core: no serious violation. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  assert.deepEqual(await seriousViolations(page), [], `axe on ${name} (${page.url()})`);
}

/** Rows of the virtualised list labelled `label`, by their visible title. */
function rowTitles(page: Page, label: string): Promise<string[]> {
  return page.locator(`ul[aria-label="${label}"] .row-title`).allTextContents();
}

async function waitForRows(page: Page, label: string, expected: string[]): Promise<void> {
  await page.waitForFunction(
    ([list, want]) =>
      JSON.stringify(
        [...document.querySelectorAll(`ul[aria-label="${list}"] .row-title`)].map(
          (a) => a.textContent,
        ),
      ) === JSON.stringify(want),
    [label, expected] as const,
  );
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations of impact serious or critical, as "rule: target" lines. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const axe = (window as { axe: { run(options: object): Promise<AxeResults> } }).axe;
    interface AxeResults {
      violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
    }
    const results = await axe.run({ resultTypes: ['violations'] });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.join(' ')}`));
  });
}

test('/ redirects to the services list, which shows each service with its health and tags', async () => {
  const page = await open('/');
  await waitForRows(page, 'Services', ['consul', 'postgres', 'redis', 'web']);
  assert.match(page.url(), /\/ui\/dc1\/services$/);
  const web = page.locator('ul[aria-label="Services"] li', { hasText: 'web' });
  assert.match(await web.innerText(), /2 instances/);
  assert.match(await web.innerText(), /1 passing/);
  assert.match(await web.innerText(), /1 warning/);
  assert.match(await web.innerText(), /primary/);
  assert.match(
    await page.locator('ul[aria-label="Services"] li', { hasText: 'redis' }).innerText(),
    /no checks/,
  );
  await shoot(page, 'services');
  await close(page);
});

test('searching services filters as you type, by name or tag, and by health', async () => {
  const page = await open('/ui/dc1/services');
  await waitForRows(page, 'Services', ['consul', 'postgres', 'redis', 'web']);
  await page.getByLabel('Search services by name or tag').pressSequentially('pri');
  await waitForRows(page, 'Services', ['postgres', 'web']);
  assert.match(page.url(), /filter=pri/);
  await page.getByLabel('Health').selectOption('warning');
  await waitForRows(page, 'Services', ['web']);
  await page.getByLabel('Search services by name or tag').fill('');
  await page.getByLabel('Health').selectOption('');
  await waitForRows(page, 'Services', ['consul', 'postgres', 'redis', 'web']);
  await close(page);
});

test('the keyboard moves from the search box through the rows and opens a service', async () => {
  const page = await open('/ui/dc1/services');
  await waitForRows(page, 'Services', ['consul', 'postgres', 'redis', 'web']);
  await page.getByLabel('Search services by name or tag').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.activeElement?.textContent === 'postgres');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'postgres', level: 1 }).waitFor();
  assert.match(page.url(), /\/ui\/dc1\/services\/postgres$/);
  await close(page);
});

test('a service page lists its instances with node, address, port, tags, meta and check output', async () => {
  const page = await open('/ui/dc1/services/web');
  const first = page.getByRole('article', { name: 'Instance web-1 on web-1' });
  await first.waitFor();
  const text = await first.innerText();
  assert.match(text, /10\.0\.0\.11:8080/);
  assert.match(text, /primary/);
  assert.match(text, /version\s*:?\s*1\.2\.3/);
  assert.match(text, /HTTP GET http:\/\/10\.0\.0\.11:8080\/health: 200 OK/);
  assert.match(
    await page.getByRole('article', { name: 'Instance web-2 on web-2' }).innerText(),
    /slow: 900ms/,
  );
  await shoot(page, 'service-web');
  await close(page);
});

test('a service turning critical shows on its page and in the list without a reload', async () => {
  const detail = await open('/ui/dc1/services/postgres');
  const list = await open('/ui/dc1/services');
  await detail.getByText('accepting connections').waitFor();
  await waitForRows(list, 'Services', ['consul', 'postgres', 'redis', 'web']);
  await register(agent.baseUrl, {
    Node: 'db-1',
    Address: '10.0.0.21',
    Service: { ID: 'postgres', Service: 'postgres', Tags: ['primary', 'sql'], Port: 5432 },
    Checks: [
      {
        CheckID: 'pg',
        Name: 'pg_isready',
        Status: 'critical',
        Output: 'no response on 5432',
        ServiceID: 'postgres',
      },
    ],
  });
  await detail.getByText('no response on 5432').waitFor({ timeout: 10_000 });
  await detail.locator('.page-header .status-critical').waitFor({ timeout: 10_000 });
  await list
    .locator('ul[aria-label="Services"] li', { hasText: 'postgres' })
    .locator('.status-critical')
    .waitFor({ timeout: 10_000 });
  await shoot(detail, 'service-critical');
  await close(detail);
  await close(list);
});

test('the nodes list and a node page show addresses, health, checks, services and meta', async () => {
  const page = await open('/ui/dc1/nodes');
  await page.locator('ul[aria-label="Nodes"] .row-title', { hasText: 'web-1' }).waitFor();
  assert.ok((await rowTitles(page, 'Nodes')).includes('db-1'));
  assert.match(
    await page.locator('ul[aria-label="Nodes"] li', { hasText: 'web-2' }).innerText(),
    /10\.0\.0\.12/,
  );
  await page.getByLabel('Search nodes by name or address').fill('10.0.0.2');
  await waitForRows(page, 'Nodes', ['db-1']);
  await shoot(page, 'nodes');
  await page.locator('ul[aria-label="Nodes"] .row-title', { hasText: 'db-1' }).click();
  await page.getByRole('heading', { name: 'db-1', level: 1 }).waitFor();
  await page.getByText('40% used').waitFor();
  await shoot(page, 'node-checks');
  await page.getByRole('tab', { name: 'Service instances' }).click();
  await page.getByRole('cell', { name: '10.0.0.21:5432' }).waitFor();
  assert.match(page.url(), /\/ui\/dc1\/nodes\/db-1\/service-instances$/);
  await close(page);

  const meta = await open('/ui/dc1/nodes/web-1/metadata');
  await meta.getByText('eu-west-1a').waitFor();
  assert.match(await meta.locator('dl[aria-label="Node meta"]').innerText(), /rack\s*:?\s*r1/);
  await shoot(meta, 'node-metadata');
  await close(meta);
});

test("the lock sessions tab lists the node's sessions live and invalidates one", async () => {
  const page = await open('/ui/dc1/nodes/db-1/lock-sessions');
  await page.getByText('There are no sessions on this node.').waitFor();
  const created = await fetch(`${agent.baseUrl}/v1/session/create`, {
    method: 'PUT',
    body: JSON.stringify({ Name: 'ui-test-lock', Node: 'db-1', Checks: [], TTL: '60s' }),
  });
  assert.equal(created.status, 200, await created.clone().text());
  const { ID } = (await created.json()) as { ID: string };
  await page.getByRole('cell', { name: 'ui-test-lock', exact: true }).waitFor();
  await shoot(page, 'node-sessions');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Invalidate session ui-test-lock' }).click();
  await page.getByText('There are no sessions on this node.').waitFor();
  const info = await fetch(`${agent.baseUrl}/v1/session/info/${ID}`);
  assert.deepEqual(await info.json(), []);
  await close(page);
});

test('the key/value tree browses folders from a deep link, recursively, and searches values', async () => {
  const page = await open('/ui/dc1/kv/config/');
  await waitForRows(page, 'Keys in config/', ['app/', 'db/']);
  await shoot(page, 'kv-folder');
  await page.getByRole('link', { name: 'Folder app/' }).click();
  await waitForRows(page, 'Keys in config/app/', ['settings.json', 'settings.yaml']);
  await page.getByRole('link', { name: 'config' }).click();
  await page.getByLabel('Show').selectOption('recursive');
  await waitForRows(page, 'Keys under config/', [
    'app/settings.json',
    'app/settings.yaml',
    'db/url',
  ]);
  await page.getByLabel('Show').selectOption('values');
  await page.getByLabel('Search keys and values').fill('sslmode');
  await waitForRows(page, 'Keys under config/', ['db/url']);
  assert.match(await page.locator('.snippet').innerText(), /sslmode=require/);
  await shoot(page, 'kv-search-values');
  await close(page);
});

test('creating a key validates JSON before saving, then saves it', async () => {
  const page = await open('/ui/dc1/kv/config/create');
  await page.getByLabel('Key or folder name').fill('new.json');
  await page.getByLabel('Code').check();
  await page.getByLabel('Value').fill('{"broken": ');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('alert').filter({ hasText: 'Invalid JSON' }).waitFor();
  assert.equal(await getKey(agent.baseUrl, 'config/new.json'), null);
  await shoot(page, 'kv-invalid-json');
  await page.getByLabel('Value').fill('{"fixed": true}');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'new.json' }).waitFor();
  assert.equal((await getKey(agent.baseUrl, 'config/new.json'))?.value, '{"fixed": true}');
  await close(page);
});

test('editing a key saves it, and an edit made meanwhile elsewhere is refused with a clear message', async () => {
  const page = await open('/ui/dc1/kv/config/db/url/edit');
  const value = page.getByLabel('Value');
  await page.waitForFunction(() =>
    (document.querySelector('textarea') as PageElement | null)?.value.startsWith('postgres://'),
  );
  await value.fill('postgres://db-2:5432/app');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved config/db/url.' }).waitFor();
  assert.equal((await getKey(agent.baseUrl, 'config/db/url'))?.value, 'postgres://db-2:5432/app');

  await value.fill('postgres://mine:5432/app');
  assert.equal(await putKey(agent.baseUrl, 'config/db/url', 'postgres://theirs:5432/app'), true);
  await page.getByText('Someone else changed this key while you were editing').waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'Not saved: someone else changed config/db/url' })
    .waitFor();
  assert.equal((await getKey(agent.baseUrl, 'config/db/url'))?.value, 'postgres://theirs:5432/app');
  await shoot(page, 'kv-concurrent-edit');
  await page.getByRole('button', { name: 'Load their version' }).click();
  await page.waitForFunction(
    () =>
      (document.querySelector('textarea') as PageElement | null)?.value ===
      'postgres://theirs:5432/app',
  );
  await close(page);
});

test('a 512 KiB value opens, validates as YAML and saves', async () => {
  const line = 'key_0000: "a value that fills the line up to a round size......"\n';
  const lines = Array.from({ length: Math.floor((512 * 1024) / line.length) }, (_, i) =>
    line.replace('0000', String(i).padStart(4, '0').slice(-4) + String(i)),
  );
  const large = lines.join('').slice(0, 512 * 1024 - 100);
  const text = large.slice(0, large.lastIndexOf('\n') + 1);
  assert.equal(await putKey(agent.baseUrl, 'large/yaml', text), true);
  const page = await open('/ui/dc1/kv/large/yaml/edit');
  await page.waitForFunction(
    (length) => (document.querySelector('textarea') as PageElement | null)?.value.length === length,
    text.length,
  );
  await page.getByLabel('Code').check();
  await page.getByLabel('Language').selectOption('yaml');
  await page.getByLabel('Value').press('Control+End');
  await page.keyboard.insertText('extra: 1\n');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved large/yaml.' }).waitFor();
  assert.equal((await getKey(agent.baseUrl, 'large/yaml'))?.value, `${text}extra: 1\n`);
  await close(page);
});

test('deleting a key asks first and uses the version shown', async () => {
  const page = await open('/ui/dc1/kv/top-level/edit');
  await page.waitForFunction(
    () => (document.querySelector('textarea') as PageElement | null)?.value === 'hello',
  );
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await waitForRows(page, 'Keys in the root folder', ['config/', 'large/']);
  assert.equal(await getKey(agent.baseUrl, 'top-level'), null);
  await close(page);
});

test('a narrow screen shows the lists in one column', async () => {
  const page = await open('/ui/dc1/services', 375);
  await waitForRows(page, 'Services', ['consul', 'postgres', 'redis', 'web']);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the page is ${width}px wide`);
  await shoot(page, 'services-narrow');
  await close(page);
});
