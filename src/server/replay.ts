// Start-up gate: a server that is the only voter must have elected itself and applied its whole
// log (snapshot + entries) before it serves, so that restarts show every key at its old index.
import type { Logger } from 'pino';
import type { NodeId, RaftHandle } from '../raft';

const REPLAY_TIMEOUT_MS = 30_000;

export async function waitForReplay(raft: RaftHandle, self: NodeId, logger: Logger): Promise<void> {
  const voters = raft.status().membership.servers.filter((server) => server.voter);
  if (voters.length !== 1 || voters[0].id !== self) {
    logger.info(
      { voters: voters.length },
      'not the only voter: serving without waiting for a leader',
    );
    return;
  }
  await waitFor(raft, () => raft.isLeader(), 'leadership');
  const target = raft.status().lastLogIndex;
  await waitFor(raft, (applied) => applied >= target, `replay up to index ${target}`);
  const applied = await raft.readBarrier();
  logger.info({ appliedIndex: applied }, 'log replayed; ready to serve');
}

/**
 * Resolves once `done` holds, re-checked on every applied batch and leader change. The applied
 * index comes from the event itself: status() may not reflect it yet inside the listener.
 */
function waitFor(
  raft: RaftHandle,
  done: (appliedIndex: number) => boolean,
  what: string,
): Promise<void> {
  let applied = raft.status().appliedIndex;
  if (done(applied)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const unsubscribe: (() => void)[] = [];
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${REPLAY_TIMEOUT_MS / 1000}s waiting for ${what}`));
    }, REPLAY_TIMEOUT_MS);
    function finish(): void {
      clearTimeout(timer);
      for (const off of unsubscribe) off();
    }
    function check(): void {
      if (!done(applied)) return;
      finish();
      resolve();
    }
    unsubscribe.push(
      raft.onApplied((index) => {
        applied = Math.max(applied, index);
        check();
      }),
      raft.onLeaderChange(check),
    );
    check();
  });
}
