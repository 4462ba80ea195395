// Shared pieces of the renderer's integration tests: a real in-process agent, KV writes over its
// HTTP API, temp dirs, and waiting for files.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually, startTestAgent as startHarnessAgent, type TestAgent } from '../http/harness';
import {
  defaultResource,
  Renderer,
  type RendererOptions,
  type TemplateResource,
} from '../../src/render';

export { eventually, type TestAgent };

/** A dev agent without DNS (test files run side by side; port 8600 is for one of them only). */
export function startTestAgent(args: string[] = []): Promise<TestAgent> {
  return startHarnessAgent(['-dns-port', '-1', ...args]);
}

export async function putKey(agent: TestAgent, key: string, value: string): Promise<void> {
  const result = await agent.request('PUT', `/v1/kv/${key}`, { body: value });
  if (result.status !== 200) throw new Error(`PUT ${key}: ${result.status} ${result.text}`);
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'consulate-render-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function inline(
  destination: string,
  contents: string,
  fields: Partial<TemplateResource> = {},
): TemplateResource {
  return defaultResource({ destination, contents, ...fields });
}

/** A renderer on `agent` that is stopped when the test ends. */
export function rendererFor(
  t: { after(fn: () => Promise<void> | void): void },
  agent: TestAgent,
  templates: TemplateResource[],
  options: Partial<RendererOptions> = {},
): Renderer {
  const renderer = new Renderer({
    consul: { address: `http://${agent.host}:${agent.port}`, token: null },
    templates,
    ...options,
  });
  t.after(() => renderer.stop());
  return renderer;
}

/** Resolves with the file's contents once `accept` holds for them. */
export async function fileContents(
  path: string,
  accept: (contents: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  let last: string | null = null;
  try {
    await eventually(
      () => {
        last = readOrNull(path);
        return last !== null && accept(last);
      },
      `${path} to be rendered`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last seen: ${JSON.stringify(last)})`);
  }
  return last ?? '';
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
