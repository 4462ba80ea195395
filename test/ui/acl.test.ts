test('a deep link’s first read starts before the app has loaded, with the token, and is not asked twice', async () => {
  for (const [path, api] of [
    ['/ui/dc1/services', '/v1/internal/ui/services?dc=dc1'],
    ['/ui/dc1/nodes', '/v1/catalog/nodes?dc=dc1'],
    ['/ui/dc1/kv/', '/v1/kv/?dc=dc1&keys&separator=%2F'],
  ] as const) {
    const page = await open(path, MANAGEMENT);
    if (path.endsWith('/services')) await waitForServices(page, ['cache', 'consul', 'db', 'web']);
    else await page.getByRole('heading', { level: 1 }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
    const requests = await page.evaluate(
      (url) =>
        performance
          .getEntriesByType('resource')
          .filter((entry) => entry.name === `${location.origin}${url}`).length,
      api,
    );
    assert.equal(requests, 1, `${api} requested ${requests} times from ${path}`);
    await close(page);
  }
});
