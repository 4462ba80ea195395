// Raft's safety properties, checked incrementally after every simulated step. Each check costs
// O(entries touched by that step), except leader completeness, run once per election.
import type { RaftCore } from '../core';
import type { LogEntry, NodeId } from '../types';
import { entryId } from './fsm';

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

/** (index, term) packed into one number: terms stay far below 2^20 in a simulation. */
function key(index: number, term: number): number {
  return index * 1048576 + term;
}

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Log matching: an (index, term) names one entry everywhere. */
  private readonly identity = new Map<number, number>();
  /** The committed log, as leaders committed it: index -> term / entry id. */
  private readonly committedTerm: number[] = [];
  private readonly committedId: number[] = [];
  /** State-machine hash after applying each index. */
  private readonly stateHash: number[] = [];
  maxCommitted = 0;
  elections = 0;

  /** Election safety and leader completeness. */
  onLeader(id: NodeId, term: number, core: RaftCore): void {
    this.elections++;
    const holder = this.leaderOfTerm.get(term);
    if (holder !== undefined && holder !== id) {
      throw new SafetyViolation(`two leaders in term ${term}: ${holder} and ${id}`);
    }
    this.leaderOfTerm.set(term, id);
    const status = core.status();
    if (status.lastIndex < this.maxCommitted) {
      throw new SafetyViolation(
        `leader ${id} (term ${term}) ends at ${status.lastIndex}, before committed index ${this.maxCommitted}`,
      );
    }
    for (let i = status.firstIndex; i <= this.maxCommitted; i++) {
      if (core.termAt(i) !== this.committedTerm[i]) {
        throw new SafetyViolation(
          `leader ${id} (term ${term}) has term ${core.termAt(i)} at committed index ${i} (committed term ${this.committedTerm[i]})`,
        );
      }
    }
  }

  onPersist(id: NodeId, entries: LogEntry[]): void {
    for (const entry of entries) {
      const k = key(entry.index, entry.term);
      const known = this.identity.get(k);
      const mine = entryId(entry);
      if (known === undefined) this.identity.set(k, mine);
      else if (known !== mine) {
        throw new SafetyViolation(
          `${id} holds another entry at index ${entry.index} term ${entry.term}`,
        );
      }
    }
  }

  /**
   * A server's commit index moved from `from` to `to`. A leader's commit must be held durably
   * by a quorum of its voters; a follower may only commit what some leader committed.
   */
  onCommit(
    id: NodeId,
    from: number,
    to: number,
    core: RaftCore,
    voters: NodeId[] | null,
    holds: (server: NodeId, index: number, term: number) => boolean,
  ): void {
    for (let i = from + 1; i <= to; i++) {
      const entry = core.entryAt(i);
      if (entry === undefined) continue; // covered by an installed snapshot, checked on restore
      if (voters !== null) {
        let count = 0;
        for (const voter of voters) if (holds(voter, i, entry.term)) count++;
        if (count < Math.floor(voters.length / 2) + 1) {
          throw new SafetyViolation(
            `leader ${id} committed index ${i} held by only ${count} of ${voters.length} voters`,
          );
        }
      }
      const term = this.committedTerm[i];
      if (term === undefined) {
        if (voters === null)
          throw new SafetyViolation(
            `${id} committed index ${i} that no leader committed: ${JSON.stringify({ ...core.status(), membership: undefined })}`,
          );
        this.committedTerm[i] = entry.term;
        this.committedId[i] = entryId(entry);
        if (i > this.maxCommitted) this.maxCommitted = i;
      } else if (term !== entry.term || this.committedId[i] !== entryId(entry)) {
        throw new SafetyViolation(
          `${id} committed a different entry at index ${i} (term ${entry.term}, committed term ${term})`,
        );
      }
    }
  }

  /** State-machine safety: every server applies the committed entry at each index, in order. */
  onApply(id: NodeId, entry: LogEntry, hash: number): void {
    if (
      this.committedTerm[entry.index] !== entry.term ||
      this.committedId[entry.index] !== entryId(entry)
    ) {
      throw new SafetyViolation(
        `${id} applied index ${entry.index} (term ${entry.term}) that is not the committed entry`,
      );
    }
    this.checkState(id, entry.index, hash);
  }

  /** A snapshot restored at `index` must be the state every server had there. */
  onRestore(id: NodeId, index: number, hash: number): void {
    if (index > this.maxCommitted)
      throw new SafetyViolation(`${id} restored snapshot ${index} beyond commit`);
    this.checkState(id, index, hash);
  }

  /** ReadIndex must not be older than any write committed before the read was asked. */
  onRead(id: NodeId, index: number, committedAtRequest: number): void {
    if (index < committedAtRequest) {
      throw new SafetyViolation(
        `${id} served a read at ${index}, but ${committedAtRequest} was committed before`,
      );
    }
  }

  isCommitted(index: number, id: number): boolean {
    return this.committedId[index] === id;
  }

  private checkState(id: NodeId, index: number, hash: number): void {
    const known = this.stateHash[index];
    if (known === undefined) this.stateHash[index] = hash;
    else if (known !== hash)
      throw new SafetyViolation(`${id} has a different state at index ${index}`);
  }
}
