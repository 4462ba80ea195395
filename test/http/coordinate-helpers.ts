// Network coordinates for the ?near tests: nodes placed on a line, `ms` milliseconds from the
// origin (where a lone dev agent's own coordinate stays), sent with PUT /v1/coordinate/update
// and awaited until the servers' batch flush stored them all.
import { sleep, type TestAgent } from './harness';

export function coordinateAt(ms: number): {
  Vec: number[];
  Error: number;
  Adjustment: number;
  Height: number;
} {
  return { Vec: [ms / 1000, 0, 0, 0, 0, 0, 0, 0], Error: 0.2, Adjustment: 0, Height: 10e-6 };
}

export async function placeNodes(
  t: TestAgent,
  positionsMs: Record<string, number>,
  timeoutMs = 10000,
): Promise<void> {
  for (const [node, ms] of Object.entries(positionsMs)) {
    const body = JSON.stringify({ Node: node, Segment: '', Coord: coordinateAt(ms) });
    const result = await t.request('PUT', '/v1/coordinate/update', { body });
    if (result.status !== 200) throw new Error(`coordinate update ${node}: ${result.text}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = JSON.parse((await t.request('GET', '/v1/coordinate/nodes')).text) as {
      Node: string;
      Coord: { Vec: number[] };
    }[];
    const stored = Object.entries(positionsMs).every(([node, ms]) =>
      listed.some((entry) => entry.Node === node && entry.Coord.Vec[0] === ms / 1000),
    );
    if (stored) return;
    if (Date.now() > deadline) throw new Error('coordinates were never stored');
    await sleep(20);
  }
}
