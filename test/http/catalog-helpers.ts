// Shared by the catalog and health API tests: a server agent registers its own node (service
// `consul`, check `serfHealth`) through anti-entropy shortly after it starts; tests wait for
// that before they count rows or block on indexes.
import { sleep, type TestAgent } from './harness';

export async function waitForSelfRegistration(t: TestAgent, timeoutMs = 10000): Promise<void> {
  const node = t.agent.config.nodeName;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await t.request('GET', '/v1/health/service/consul');
    const entries = JSON.parse(result.text) as {
      Node: { Node: string };
      Checks: { CheckID: string }[];
    }[];
    const own = entries.find((entry) => entry.Node.Node === node);
    if (own?.Checks.some((check) => check.CheckID === 'serfHealth') === true) return;
    if (Date.now() > deadline) throw new Error(`agent node ${node} never registered itself`);
    await sleep(20);
  }
}
