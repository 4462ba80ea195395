// The web UI with ACLs on (default deny) in Debian's Chromium against a real -dev agent: the
// anonymous visitor is asked to log in and sees no data; the management token logs in and the
// live pages show everything; a policy and a token made in the UI, then used, show only what
// the policy allows; a 403 says the token lacks permission; a bad HCL rule shows the agent's
// 400 next to the field. Every page is screenshotted and scanned with axe-core.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { EPHEMERAL_PORTS, startAgent, type RunningAgent } from '../agent/spawn-agent';
import { launchChromium, screenshotDir } from './browser';

interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
  activeElement: PageElement | null;
};
declare const window: object;
declare const localStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};

const MANAGEMENT = '0b8f6a7e-3c1d-4f2a-9e5b-7d6c5b4a3f21';
const ACL_HCL = `acl {
  enabled = true
  default_policy = "deny"
  tokens {
    initial_management = "${MANAGEMENT}"
  }
}`;

let agent: RunningAgent;
let browser: Browser;
const shots = screenshotDir();

async function api(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${agent.baseUrl}${path}`, {
    method,
    headers: token === null ? {} : { 'x-consul-token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function registerService(node: string, address: string, service: string): Promise<void> {
  const answer = await api(MANAGEMENT, 'PUT', '/v1/catalog/register', {
    Node: node,
    Address: address,
    Service: { ID: service, Service: service, Port: 8080 },
    Checks: [
      {
        CheckID: `${service}-check`,
        Name: `${service} check`,
        Status: 'passing',
        ServiceID: service,
      },
    ],
  });
  assert.equal(answer.status, 200, answer.text);
}

before(async () => {
  agent = await startAgent(['-dev', ...EPHEMERAL_PORTS, '-hcl', ACL_HCL]);
  // The leader makes the initial management token shortly after it is elected.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const self = await api(MANAGEMENT, 'GET', '/v1/acl/token/self');
    if (self.status === 200) break;
    if (Date.now() > deadline) throw new Error(`management token: ${self.status} ${self.text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await registerService('web-1', '10.0.0.11', 'web');
  await registerService('db-1', '10.0.0.21', 'db');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await agent?.stop('SIGKILL');
});

const pageErrors = new WeakMap<Page, string[]>();

async function open(path: string, token: string | null = null): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (error) => errors.push(error.message));
  if (token !== null) {
    // As if the user had logged in before: the token is in localStorage when the app starts.
    await page.goto(`${agent.baseUrl}/ui/dc1/login`);
    await page.evaluate(
      (secret) =>
        localStorage.setItem('consul:token', JSON.stringify({ AccessorID: '', SecretID: secret })),
      token,
    );
  }
  await page.goto(`${agent.baseUrl}${path}`);
  return page;
}

async function close(page: Page): Promise<void> {
  const url = page.url();
  await page.close();
  assert.deepEqual(pageErrors.get(page), [], `errors in the page at ${url}`);
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  await page.addScriptTag({ content: axeSource });
  const serious = await page.evaluate(async () => {
    const axe = (window as { axe: { run(options: object): Promise<AxeResults> } }).axe;
    interface AxeResults {
      violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
    }
    const results = await axe.run({ resultTypes: ['violations'] });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.join(' ')}`));
  });
  assert.deepEqual(serious, [], `axe on ${name} (${page.url()})`);
}

function serviceRows(page: Page): Promise<string[]> {
  return page.locator('ul[aria-label="Services"] .row-title').allTextContents();
}

async function waitForServices(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction(
    (want) =>
      JSON.stringify(
        [...document.querySelectorAll('ul[aria-label="Services"] .row-title')].map(
          (a) => a.textContent,
        ),
      ) === JSON.stringify(want),
    expected,
  );
}

test('the anonymous visitor is asked to log in and sees no data', async () => {
  const page = await open('/ui/dc1/services');
  await page.getByRole('status').filter({ hasText: 'you are not logged in' }).waitFor();
  await page.getByText('No services are registered that your token may see.').waitFor();
  assert.deepEqual(await serviceRows(page), []);
  assert.equal(await page.getByRole('link', { name: 'ACL' }).count(), 1);
  await shoot(page, 'acl-anonymous');
  await close(page);
});

test('a wrong token is refused; the management token logs in, and the live list shows everything', async () => {
  const page = await open('/ui/dc1/services');
  await page.getByRole('link', { name: 'Log in with a token' }).click();
  await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
  await page.getByLabel('ACL token').fill('00000000-0000-4000-8000-000000000000');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'This token was not accepted' }).waitFor();
  await shoot(page, 'acl-login-refused');

  await page.getByLabel('ACL token').fill(MANAGEMENT);
  await page.getByRole('button', { name: 'Log in' }).click();
  await waitForServices(page, ['consul', 'db', 'web']);
  assert.match(page.url(), /\/ui\/dc1\/services$/);
  const stored = await page.evaluate(() => localStorage.getItem('consul:token'));
  assert.equal((JSON.parse(stored ?? '{}') as { SecretID?: string }).SecretID, MANAGEMENT);
  assert.equal(await page.getByText('you are not logged in').count(), 0);
  // The blocking query carries the token: a service registered now shows without a reload.
  await registerService('cache-1', '10.0.0.31', 'cache');
  await waitForServices(page, ['cache', 'consul', 'db', 'web']);
  await shoot(page, 'acl-services-management');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('status').filter({ hasText: 'you are not logged in' }).waitFor();
  await waitForServices(page, []);
  assert.equal(await page.evaluate(() => localStorage.getItem('consul:token')), null);
  await close(page);
});

test('a bad HCL rule shows the agent’s error next to the rules; a policy and a token made in the UI allow only what they say', async () => {
  const page = await open('/ui/dc1/acls/policies', MANAGEMENT);
  await page.getByRole('link', { name: 'global-management' }).waitFor();
  await shoot(page, 'acl-policies');
  await page.getByRole('link', { name: 'Create policy' }).click();
  await page.getByLabel('Name').fill('web-reader');
  await page.getByLabel('Rules (HCL)').fill('service "web" {\n  policy = \n');
  await page.getByRole('button', { name: 'Create' }).click();
  const error = page.locator('.field-error', { hasText: 'failed to parse rules' });
  await error.waitFor();
  const rules = page.getByLabel('Rules (HCL)');
  assert.equal(await rules.getAttribute('aria-invalid'), 'true');
  assert.equal(await rules.getAttribute('aria-describedby'), await error.getAttribute('id'));
  const listed = await api(MANAGEMENT, 'GET', '/v1/acl/policy/name/web-reader');
  assert.equal(listed.status, 403, 'the policy must not exist');
  await shoot(page, 'acl-policy-bad-hcl');

  await rules.fill(
    'service "web" {\n  policy = "read"\n}\nnode_prefix "" {\n  policy = "read"\n}\n',
  );
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('status').filter({ hasText: 'Policy web-reader created.' }).waitFor();
  assert.equal((await api(MANAGEMENT, 'GET', '/v1/acl/policy/name/web-reader')).status, 200);
  assert.equal(await rules.getAttribute('aria-invalid'), 'false');
  await shoot(page, 'acl-policy');

  await page.getByRole('navigation', { name: 'ACL' }).getByRole('link', { name: 'Tokens' }).click();
  await page.getByRole('link', { name: 'Create token' }).click();
  await page.getByLabel('Description').fill('web reader');
  await page.getByRole('checkbox', { name: 'web-reader' }).check();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('status').filter({ hasText: 'Token created.' }).waitFor();
  const secret = (await page.locator('dl[aria-label="Token"] .secret').nth(1).innerText()).trim();
  assert.match(secret, /^[0-9a-f-]{36}$/);
  const self = await api(secret, 'GET', '/v1/acl/token/self');
  assert.equal(self.status, 200, self.text);
  assert.deepEqual(
    (JSON.parse(self.text) as { Policies: { Name: string }[] }).Policies.map((p) => p.Name),
    ['web-reader'],
  );
  await shoot(page, 'acl-token');

  await page.getByRole('button', { name: 'Use this token' }).click();
  // This token may not read ACLs: the page says so, with a way to log in, instead of a blank.
  await page.getByRole('alert').filter({ hasText: 'Your token lacks permission' }).waitFor();
  await page.getByRole('link', { name: 'Log in with another token' }).waitFor();
  await shoot(page, 'acl-permission-denied');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Services' })
    .click();
  await waitForServices(page, ['web']);
  const stored = await page.evaluate(() => localStorage.getItem('consul:token'));
  assert.equal((JSON.parse(stored ?? '{}') as { SecretID?: string }).SecretID, secret);
  await shoot(page, 'acl-services-limited');
  await close(page);
});

test('tokens and roles are listed, a role is created with a policy, and a token is deleted', async () => {
  const made = await api(MANAGEMENT, 'PUT', '/v1/acl/token', { Description: 'to delete' });
  assert.equal(made.status, 200, made.text);
  const { AccessorID } = JSON.parse(made.text) as { AccessorID: string };

  const page = await open('/ui/dc1/acls', MANAGEMENT);
  await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'to delete' }).waitFor();
  await page.getByRole('cell', { name: 'Initial Management Token' }).waitFor();
  await shoot(page, 'acl-tokens');
  await page.getByRole('link', { name: AccessorID }).click();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'Initial Management Token' }).waitFor();
  assert.equal(await page.getByRole('cell', { name: 'to delete' }).count(), 0);
  assert.equal((await api(MANAGEMENT, 'GET', `/v1/acl/token/${AccessorID}`)).status, 403);

  await page.getByRole('link', { name: 'Roles' }).click();
  await page.getByText('There are no roles.').waitFor();
  await page.getByRole('link', { name: 'Create role' }).click();
  await page.getByLabel('Name').fill('bad name!');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('.field-error', { hasText: 'invalid Name' }).waitFor();
  await page.getByLabel('Name').fill('operators');
  await page.getByLabel('Description').fill('People on call');
  await page.getByRole('checkbox', { name: 'global-management' }).check();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('status').filter({ hasText: 'Role operators created.' }).waitFor();
  await shoot(page, 'acl-role');
  await page.getByRole('navigation', { name: 'ACL' }).getByRole('link', { name: 'Roles' }).click();
  await page.getByRole('cell', { name: 'People on call' }).waitFor();
  const row = page.getByRole('row', { name: /operators/ });
  assert.match(await row.innerText(), /global-management/);
  await shoot(page, 'acl-roles');
  await close(page);
});

test('a deep link’s first read, started while the app boots, carries the token and is not asked twice', async () => {
  for (const [path, api, row] of [
    ['/ui/dc1/services', '/v1/internal/ui/services?dc=dc1', 'web'],
    ['/ui/dc1/nodes', '/v1/catalog/nodes?dc=dc1', 'db-1'],
    ['/ui/dc1/kv/', '/v1/kv/?dc=dc1&keys&separator=%2F', null],
  ] as const) {
    const page = await open(path, MANAGEMENT);
    if (row !== null) await page.locator('.row-title', { hasText: row }).first().waitFor();
    else await page.getByRole('heading', { level: 1 }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
    const requests = await page.evaluate(
      (url) =>
        (
          globalThis as unknown as {
            performance: { getEntriesByType(type: string): { name: string }[] };
          }
        ).performance
          .getEntriesByType('resource')
          .filter((entry) => entry.name.endsWith(url)).length,
      api,
    );
    assert.equal(requests, 1, `${api} requested ${requests} times from ${path}`);
    await close(page);
  }
});

test('the key/value search across values runs with the token too', async () => {
  const put = await fetch(`${agent.baseUrl}/v1/kv/app/settings`, {
    method: 'PUT',
    headers: { 'x-consul-token': MANAGEMENT },
    body: 'needle=42',
  });
  assert.equal(put.status, 200, await put.text());
  const page = await open('/ui/dc1/kv/app/', MANAGEMENT);
  await page.locator('ul[aria-label="Keys in app/"] .row-title', { hasText: 'settings' }).waitFor();
  await page.getByLabel('Show').selectOption('values');
  await page.getByLabel('Search keys and values').fill('needle');
  await page
    .locator('ul[aria-label="Keys under app/"] .row-title', { hasText: 'settings' })
    .waitFor();
  assert.match(await page.locator('.snippet').innerText(), /needle=42/);
  await close(page);
});
