// What a running server agent hands to its front ends (HTTP, DNS, CLI over HTTP, renderer).
import type { AgentConfig } from '../config/types';
import type { RaftHandle } from '../raft/types';
import type { Command } from '../state/commands';
import type { StateStore } from '../state/store';

export interface AgentRuntime {
  readonly config: AgentConfig;
  readonly raft: RaftHandle;
  /** Local state store, fed only by the FSM. Reads are served from here. */
  readonly store: StateStore;
  /**
   * Encodes `cmd`, proposes it through Raft and resolves with the FSM's result once applied.
   * Rejects with NotLeaderError (from src/raft/types) when there is no leader to take it.
   */
  apply(cmd: Command): Promise<unknown>;
  /** Epoch milliseconds when the agent started (for /v1/agent/self stats). */
  readonly startedAtMs: number;
  /** Stops listeners, Raft and storage; idempotent. */
  shutdown(): Promise<void>;
}
