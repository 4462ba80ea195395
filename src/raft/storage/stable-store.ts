import type { Database, Statement } from 'better-sqlite3';
import type { DataSource, Repository } from 'typeorm';
import type { HardState, Membership } from '../types';
import { decodeHardState, decodeMembership } from './codec';
import { StableRow } from './entities';
import type { StableStore } from './types';
import type { StorageWrite } from './writes';

const hardStateKey = 'hardState';
const membershipKey = 'membership';

/**
 * currentTerm/votedFor/commit and the membership, as JSON rows of raft_stable. Saves join the
 * group commit so that a vote is durable in the same sync as the entries it accompanies.
 */
export class SqliteStableStore implements StableStore {
  private readonly rows: Repository<StableRow>;
  private readonly upsertStmt: Statement<[string, string]>;

  constructor(
    dataSource: DataSource,
    connection: Database,
    private readonly submit: (write: StorageWrite) => Promise<void>,
  ) {
    this.rows = dataSource.getRepository(StableRow);
    this.upsertStmt = connection.prepare(
      'INSERT INTO raft_stable (key, value) VALUES (?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  async loadHardState(): Promise<HardState | null> {
    const row = await this.rows.findOneBy({ key: hardStateKey });
    return row === null ? null : decodeHardState(row.value);
  }

  saveHardState(state: HardState): Promise<void> {
    return this.submit({ kind: 'persist', batch: { entries: [], hardState: state } });
  }

  async loadMembership(): Promise<Membership | null> {
    const row = await this.rows.findOneBy({ key: membershipKey });
    return row === null ? null : decodeMembership(row.value);
  }

  saveMembership(membership: Membership): Promise<void> {
    return this.submit({ kind: 'persist', batch: { entries: [], membership } });
  }

  /** Inside the group-commit transaction. */
  writeHardState(state: HardState): void {
    const { term, votedFor, commit } = state;
    this.upsertStmt.run(hardStateKey, JSON.stringify({ term, votedFor, commit }));
  }

  /** Inside the group-commit transaction. */
  writeMembership(membership: Membership): void {
    this.upsertStmt.run(membershipKey, JSON.stringify(membership));
  }
}
