// The Raft protocol as a pure state machine (after etcd-io/raft): inputs are step(), tick() and
// the request methods; the only output is a Ready. No I/O, no clock, randomness injected.
import { Configurations } from './configurations';
import { RaftLog } from './log';
import {
  changeMembership,
  decodeMembershipChange,
  encodeMembershipChange,
  findServer,
  isVoter,
  type MembershipOp,
} from './membership';
import type {
  AppendRequest,
  AppendResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  PreVoteRequest,
  RaftMessage,
  SnapshotChunkRequest,
  SnapshotChunkResponse,
  VoteRequest,
  VoteResponse,
} from './messages';
import { Progress, quorumValue } from './progress';
import type { RandomSource } from './random';
import type { ReadState, Ready, SnapshotChunk, SoftState } from './ready';
import type { RaftDurableState } from './storage/types';
import {
  EntryType,
  NotLeaderError,
  type HardState,
  type LogEntry,
  type Membership,
  type NodeId,
  type RaftRole,
  type SnapshotMeta,
} from './types';

export interface RaftCoreOptions {
  id: NodeId;
  random: RandomSource;
  /** What the host loaded from storage; absent for a brand-new, empty server. */
  durable?: RaftDurableState;
  /** Ticks without hearing from a leader before campaigning (randomised in [n, 2n)). */
  electionTicks?: number;
  heartbeatTicks?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Unacknowledged append messages per follower in replicate state. */
  maxInflight?: number;
  maxAppendEntries?: number;
  /** Entries kept behind a snapshot so slightly lagging followers avoid InstallSnapshot. */
  trailingLogs?: number;
  snapshotChunkSize?: number;
}

export interface CoreStatus {
  id: NodeId;
  role: RaftRole;
  term: number;
  leaderId: NodeId | null;
  commitIndex: number;
  appliedIndex: number;
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  snapshot: SnapshotMeta | null;
  membership: Membership;
  /** Log index of the entry that set `membership` (0 before any). */
  membershipIndex: number;
  leadTransferee: NodeId | null;
}

interface PendingRead {
  requestId: number;
  index: number;
  round: number;
}

const EMPTY = new Uint8Array(0);
const NO_MEMBERS: Membership = { servers: [] };

export class RaftCore {
  readonly id: NodeId;
  private readonly random: RandomSource;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxInflight: number;
  private readonly maxAppendEntries: number;
  private readonly trailingLogs: number;
  private readonly snapshotChunkSize: number;

  private term: number;
  private votedFor: NodeId | null;
  private role: RaftRole = 'follower';
  private leaderId: NodeId | null = null;
  private readonly log: RaftLog;
  private commit: number;
  private applied: number;
  /** Newest snapshot this server holds (the one InstallSnapshot sends). */
  private snapshotMeta: SnapshotMeta | null;

  // Membership takes effect when its entry is appended (see configurations.ts).
  private readonly configs: Configurations;
  private voterIds: NodeId[] = [];
  private selfVoter = false;

  private electionElapsed = 0;
  /** Ticks since the leader last checked that a quorum is in contact (its lease). */
  private leaseElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly votes = new Map<NodeId, boolean>();

  private readonly progress = new Map<NodeId, Progress>();
  /** Index of the newest membership entry the leader proposed; one change at a time. */
  private pendingConfIndex = 0;
  private leadTransferee: NodeId | null = null;
  private needAppend = false;
  private needCommitBroadcast = false;
  private needHeartbeat = false;
  private readRound = 0;
  private readQueue: PendingRead[] = [];
  /** Reads waiting for the leader to commit an entry of its own term. */
  private waitingReads: number[] = [];

  private incomingSnapshot: { meta: SnapshotMeta; received: number } | null = null;
  private pendingInstall: SnapshotMeta | null = null;

  private messages: RaftMessage[] = [];
  private readStates: ReadState[] = [];
  private snapshotChunks: SnapshotChunk[] = [];
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private persistedMembership: Membership;
  private readonly scratch: number[] = [];
  private stepRole: (m: RaftMessage) => void = (m) => this.stepFollower(m);

  constructor(options: RaftCoreOptions) {
    this.id = options.id;
    this.random = options.random;
    this.electionTicks = options.electionTicks ?? 10;
    this.heartbeatTicks = options.heartbeatTicks ?? 1;
    this.preVote = options.preVote ?? true;
    this.checkQuorum = options.checkQuorum ?? true;
    this.maxInflight = options.maxInflight ?? 256;
    this.maxAppendEntries = options.maxAppendEntries ?? 1024;
    this.trailingLogs = options.trailingLogs ?? 10240;
    this.snapshotChunkSize = options.snapshotChunkSize ?? 1 << 20;
    if (this.heartbeatTicks >= this.electionTicks) {
      throw new Error(
        `heartbeatTicks ${this.heartbeatTicks} must be < electionTicks ${this.electionTicks}`,
      );
    }

    const durable = options.durable;
    const snapshot = durable?.snapshot ?? null;
    const hardState = durable?.hardState ?? { term: 0, votedFor: null, commit: 0 };
    // Entries the snapshot covers are dropped: their terms are only needed for the snapshot point.
    this.log = new RaftLog(snapshot?.index ?? 0, snapshot?.term ?? 0, durable?.entries ?? []);
    this.term = hardState.term;
    this.votedFor = hardState.votedFor;
    this.snapshotMeta = snapshot;
    this.applied = snapshot?.index ?? 0;
    this.commit = Math.min(Math.max(hardState.commit, this.applied), this.log.lastIndex());
    this.configs = new Configurations(
      snapshot?.membership ?? durable?.membership ?? NO_MEMBERS,
      this.log.snapshotIndex(),
    );
    for (const entry of durable?.entries ?? []) {
      if (entry.type === EntryType.Membership && entry.index > this.log.snapshotIndex()) {
        this.configs.add(entry.index, decodeMembershipChange(entry.data).membership);
      }
    }
    this.persistedMembership = this.membership();
    this.prevHardState = { term: this.term, votedFor: this.votedFor, commit: this.commit };
    this.becomeFollower(this.term, null);
    this.prevSoftState = this.softState();
    this.applyConfig();
  }

  // ---- inputs -------------------------------------------------------------------------------

  step(m: RaftMessage): void {
    if (m.term > this.term) {
      const isVoteRequest = m.type === 'vote' || m.type === 'pre-vote';
      const forced = m.type === 'vote' && m.transfer;
      // Leader lease: having heard from a live leader within an election timeout, ignore
      // campaigns (a partitioned server rejoining must not depose a healthy leader).
      if (isVoteRequest && !forced && this.inLease()) return;
      // A pre-vote and its grant speak of a future term: nobody adopts it.
      const futureTerm = m.type === 'pre-vote' || (m.type === 'pre-vote-response' && m.granted);
      if (!futureTerm) {
        const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
        this.becomeFollower(m.term, fromLeader ? m.from : null);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // Tell a stale leader about the newer term so that it steps down.
        this.send<AppendResponse>({
          type: 'append-response',
          to: m.from,
          term: this.term,
          success: false,
          index: 0,
          hintTerm: 0,
          hintIndex: 0,
        });
      } else if (m.type === 'pre-vote') {
        this.send<VoteResponse>({
          type: 'pre-vote-response',
          to: m.from,
          term: this.term,
          granted: false,
        });
      }
      return;
    }
    if (m.type === 'vote' || m.type === 'pre-vote') {
      this.handleVoteRequest(m);
      return;
    }
    this.stepRole(m);
  }

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (pre-vote first when enabled); a single voter wins at once. */
  campaign(): void {
    if (this.role !== 'leader') this.startElection(this.preVote, false);
  }

  propose(type: EntryType, data: Uint8Array): number {
    this.requireLeader();
    return this.appendEntry(type, data);
  }

  readIndex(requestId: number): void {
    if (this.role !== 'leader') throw this.notLeader();
    if (!this.committedInTerm()) this.waitingReads.push(requestId);
    else this.serveRead(requestId);
  }

  addVoter(id: NodeId, address: string): number {
    return this.proposeMembership('add-voter', { id, address });
  }

  addNonVoter(id: NodeId, address: string): number {
    return this.proposeMembership('add-non-voter', { id, address });
  }

  promote(id: NodeId): number {
    return this.proposeMembership('promote', { id });
  }

  removeServer(id: NodeId): number {
    return this.proposeMembership('remove', { id });
  }

  /** Hands leadership to `to` (default: the most up-to-date voter); returns the target. */
  transferLeadership(to?: NodeId): NodeId {
    if (this.role !== 'leader') throw this.notLeader();
    const target = to ?? this.mostUpToDateVoter();
    if (target === null) throw new Error('no other voter to transfer leadership to');
    if (target === this.id) return target;
    if (!this.voterIds.includes(target))
      throw new Error(`cannot transfer leadership to ${target}: not a voter`);
    if (this.leadTransferee === target) return target;
    this.leadTransferee = target;
    // The transfer must finish within one election timeout or it is abandoned (tickLeader).
    this.electionElapsed = 0;
    const pr = this.progress.get(target) as Progress;
    if (pr.match === this.log.lastIndex())
      this.send({ type: 'timeout-now', to: target, term: this.term });
    else this.replicateTo(pr, true);
    return target;
  }

  /**
   * The host saved a snapshot of the state at meta.index (<= applied). Keeps `trailingLogs`
   * entries behind it and returns the index the host may compact its stored log up to.
   */
  reportSnapshot(meta: SnapshotMeta): number {
    if (meta.index > this.applied)
      throw new Error(`snapshot index ${meta.index} > applied ${this.applied}`);
    if (this.snapshotMeta === null || meta.index > this.snapshotMeta.index)
      this.snapshotMeta = meta;
    const compactTo = meta.index - this.trailingLogs;
    if (compactTo > this.log.snapshotIndex()) {
      this.log.compact(compactTo);
      this.configs.compactTo(compactTo);
    }
    return this.log.snapshotIndex();
  }

  // ---- outputs ------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.messages.length > 0 ||
      this.log.hasUnstable() ||
      this.readStates.length > 0 ||
      this.snapshotChunks.length > 0 ||
      this.pendingInstall !== null ||
      (this.commit > this.applied && this.pendingInstall === null) ||
      (this.role === 'leader' &&
        (this.needAppend || this.needCommitBroadcast || this.needHeartbeat)) ||
      this.hardStateChanged() ||
      this.membership() !== this.persistedMembership ||
      this.prevSoftState.role !== this.role ||
      this.prevSoftState.leaderId !== this.leaderId ||
      this.prevSoftState.term !== this.term
    );
  }

  /** Collects everything to do; the host performs it in the order Ready documents, then advance(). */
  ready(): Ready {
    this.flushLeaderSends();
    const rd: Ready = {
      messages: this.messages,
      entries: this.log.unstableEntries(),
      committed:
        this.pendingInstall === null ? this.log.slice(this.applied + 1, this.commit + 1) : [],
      snapshotChunks: this.snapshotChunks,
      readStates: this.readStates,
    };
    this.messages = [];
    this.snapshotChunks = [];
    this.readStates = [];
    if (this.pendingInstall !== null) rd.snapshot = this.pendingInstall;
    // The commit index is volatile (a restarted server relearns it), so it only rides along
    // when something durable is written anyway: a commit alone must not cost an fsync.
    if (this.hardStateChanged() || rd.entries.length > 0) {
      rd.hardState = { term: this.term, votedFor: this.votedFor, commit: this.commit };
      this.prevHardState = rd.hardState;
    }
    const membership = this.membership();
    if (membership !== this.persistedMembership) {
      rd.membership = membership;
      this.persistedMembership = membership;
    }
    const soft = this.softState();
    if (!sameSoftState(soft, this.prevSoftState)) {
      rd.softState = soft;
      this.prevSoftState = soft;
    }
    return rd;
  }

  /** The host has done everything `rd` asked. */
  advance(rd: Ready): void {
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      this.log.stableTo(last.index, last.term);
    }
    if (rd.snapshot !== undefined) {
      this.applied = Math.max(this.applied, rd.snapshot.index);
      if (this.pendingInstall === rd.snapshot) this.pendingInstall = null;
    }
    if (rd.committed.length > 0) {
      this.applied = Math.max(this.applied, rd.committed[rd.committed.length - 1].index);
    }
    // The leader counts itself towards a quorum only for entries it has made durable.
    if (this.role === 'leader' && rd.entries.length > 0) this.maybeCommit();
  }

  // ---- queries ------------------------------------------------------------------------------

  isLeader(): boolean {
    return this.role === 'leader';
  }

  currentTerm(): number {
    return this.term;
  }

  appliedIndex(): number {
    return this.applied;
  }

  status(): CoreStatus {
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      leaderId: this.leaderId,
      commitIndex: this.commit,
      appliedIndex: this.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      snapshot: this.snapshotMeta,
      membership: this.membership(),
      membershipIndex: this.configs.latestIndex(),
      leadTransferee: this.leadTransferee,
    };
  }

  /** On the leader, how far each other server's log is known to match; empty elsewhere. */
  followerMatches(): { id: NodeId; match: number }[] {
    if (this.role !== 'leader') return [];
    return [...this.progress.values()]
      .filter((pr) => pr.id !== this.id)
      .map((pr) => ({ id: pr.id, match: pr.match }));
  }

  /** The configuration in force (that of the newest membership entry in the log). */
  membership(): Membership {
    return this.configs.latest();
  }

  /** The configuration in force right after `index` (for the metadata of a snapshot taken there). */
  membershipAt(index: number): Membership {
    return this.configs.at(index);
  }

  termAt(index: number): number | undefined {
    return this.log.term(index);
  }

  entryAt(index: number): LogEntry | undefined {
    return this.log.entry(index);
  }

  leaderAddress(): string | null {
    if (this.leaderId === null) return null;
    return findServer(this.membership(), this.leaderId)?.address ?? null;
  }

  // ---- roles --------------------------------------------------------------------------------

  private becomeFollower(term: number, leaderId: NodeId | null): void {
    if (term !== this.term) {
      this.term = term;
      this.votedFor = null;
    }
    this.role = 'follower';
    this.leaderId = leaderId;
    this.stepRole = (m) => this.stepFollower(m);
    this.resetRoleState();
  }

  private becomePreCandidate(): void {
    // Term and vote stay untouched: a pre-election changes nothing durable.
    this.role = 'pre-candidate';
    this.leaderId = null;
    this.stepRole = (m) => this.stepCandidate(m);
    this.resetRoleState();
  }

  private becomeCandidate(): void {
    this.term += 1;
    this.votedFor = this.id;
    this.role = 'candidate';
    this.leaderId = null;
    this.stepRole = (m) => this.stepCandidate(m);
    this.resetRoleState();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.stepRole = (m) => this.stepLeader(m);
    this.resetRoleState();
    for (const server of this.membership().servers) {
      if (server.id !== this.id)
        this.progress.set(server.id, new Progress(server.id, this.log.lastIndex() + 1));
    }
    // No membership change until an entry of this term commits (the fix to single-server changes).
    this.pendingConfIndex = this.log.lastIndex() + 1;
    // Entries of earlier terms commit only through one of this term (Raft §5.4.2).
    this.appendEntry(EntryType.Noop, EMPTY);
  }

  private resetRoleState(): void {
    this.electionElapsed = 0;
    this.leaseElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.electionTicks + Math.floor(this.random() * this.electionTicks);
    this.votes.clear();
    this.progress.clear();
    this.leadTransferee = null;
    this.needAppend = false;
    this.needCommitBroadcast = false;
    this.needHeartbeat = false;
    // Reads pending on a former leadership are dropped; the host fails them on the role change.
    this.readQueue = [];
    this.waitingReads = [];
  }

  /**
   * May this server campaign? A voter of the configuration in force may; so may one whose
   * removal is appended but not committed: were it barred, a removed leader that lost its
   * quorum could hold the only copy of that removal and block every election. Votes are still
   * counted in the configuration in force, which is what keeps elections safe.
   */
  private promotable(): boolean {
    return this.selfVoter || isVoter(this.membershipAt(this.commit), this.id);
  }

  private startElection(pre: boolean, transfer: boolean): void {
    if (!this.promotable()) return;
    if (pre) this.becomePreCandidate();
    else this.becomeCandidate();
    if (this.recordVote(this.id, true)) return;
    const term = pre ? this.term + 1 : this.term;
    for (const id of this.voterIds) {
      if (id === this.id) continue;
      const base = {
        to: id,
        term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
      };
      if (pre) this.send<PreVoteRequest>({ type: 'pre-vote', ...base });
      else this.send<VoteRequest>({ type: 'vote', ...base, transfer });
    }
  }

  /** Counts a (pre-)vote; returns true when the election was decided by it. */
  private recordVote(from: NodeId, granted: boolean): boolean {
    this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const id of this.voterIds) {
      const vote = this.votes.get(id);
      if (vote === true) yes++;
      else if (vote === false) no++;
    }
    const quorum = Math.floor(this.voterIds.length / 2) + 1;
    if (yes >= quorum) {
      if (this.role === 'pre-candidate') this.startElection(false, false);
      else this.becomeLeader();
      return true;
    }
    if (no >= quorum) {
      this.becomeFollower(this.term, null);
      return true;
    }
    return false;
  }

  private handleVoteRequest(m: PreVoteRequest | VoteRequest): void {
    const pre = m.type === 'pre-vote';
    const type = pre ? 'pre-vote-response' : 'vote-response';
    // One vote per term; a pre-vote for a future term promises nothing.
    const canVote =
      this.votedFor === m.from ||
      (this.votedFor === null && this.leaderId === null) ||
      (pre && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send<VoteResponse>({ type, to: m.from, term: m.term, granted: true });
      if (!pre) {
        this.electionElapsed = 0;
        this.votedFor = m.from;
      }
    } else {
      this.send<VoteResponse>({ type, to: m.from, term: this.term, granted: false });
    }
  }

  private inLease(): boolean {
    return this.checkQuorum && this.leaderId !== null && this.electionElapsed < this.electionTicks;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout && this.promotable()) {
      this.electionElapsed = 0;
      this.startElection(this.preVote, false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.leaseElapsed++;
    if (this.checkQuorum && this.leaseElapsed >= this.leaseTicks()) {
      this.leaseElapsed = 0;
      // CheckQuorum over hashicorp/raft's leader lease (half an election timeout): a leader that
      // has not heard from a quorum within it steps down before the others can have elected
      // another (they wait at least a whole election timeout), so a deposed leader does not keep
      // answering default-mode reads from its own state.
      if (!this.quorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
      for (const pr of this.progress.values()) pr.recentActive = false;
    }
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  private leaseTicks(): number {
    return Math.max(1, Math.floor(this.electionTicks / 2));
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voterIds) {
      if (id === this.id || this.progress.get(id)?.recentActive) active++;
    }
    return active >= Math.floor(this.voterIds.length / 2) + 1;
  }

  // ---- per-role steps -----------------------------------------------------------------------

  private stepFollower(m: RaftMessage): void {
    switch (m.type) {
      case 'append':
        this.heardFromLeader(m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.heardFromLeader(m.from);
        this.handleSnapshotChunk(m);
        return;
      case 'timeout-now':
        // The leader handed over to us: campaign now, skipping pre-vote and the others' lease.
        this.startElection(false, true);
        return;
      default:
        return; // responses from an earlier role of ours: stale
    }
  }

  private stepCandidate(m: RaftMessage): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // A leader exists for our term: it won.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'pre-vote-response':
        if (this.role === 'pre-candidate') this.recordVote(m.from, m.granted);
        return;
      case 'vote-response':
        if (this.role === 'candidate') this.recordVote(m.from, m.granted);
        return;
      default:
        return;
    }
  }

  private stepLeader(m: RaftMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return; // not (or no longer) a member
    pr.recentActive = true;
    switch (m.type) {
      case 'append-response':
        this.handleAppendResponse(pr, m);
        return;
      case 'heartbeat-response':
        this.handleHeartbeatResponse(pr, m);
        return;
      case 'snapshot-response':
        this.handleSnapshotResponse(pr, m);
        return;
      default:
        return;
    }
  }

  private heardFromLeader(leaderId: NodeId): void {
    this.electionElapsed = 0;
    this.leaderId = leaderId;
  }

  // ---- follower: receiving replication ------------------------------------------------------

  private handleAppend(m: AppendRequest): void {
    let prevIndex = m.prevIndex;
    let prevTerm = m.prevTerm;
    let entries = m.entries;
    if (prevIndex < this.commit) {
      // Committed entries are the same everywhere: restart the match at our commit index.
      const skip = this.commit - prevIndex;
      if (skip >= entries.length) {
        this.replyAppend(m.from, true, this.commit);
        return;
      }
      entries = entries.slice(skip);
      prevIndex = this.commit;
      prevTerm = this.log.term(prevIndex) as number;
    }
    if (!this.log.matchTerm(prevIndex, prevTerm)) {
      // Consistency check failed: hint the conflicting term and where it starts (fast back-off).
      const held = this.log.term(prevIndex);
      const hintTerm = held ?? 0;
      const hintIndex =
        held === undefined ? this.log.lastIndex() + 1 : this.log.firstIndexOfTerm(prevIndex);
      this.send<AppendResponse>({
        type: 'append-response',
        to: m.from,
        term: this.term,
        success: false,
        index: m.prevIndex,
        hintTerm,
        hintIndex,
      });
      return;
    }
    const truncatedFrom = this.log.appendFromLeader(entries);
    if (truncatedFrom > 0) this.dropConfigsFrom(truncatedFrom);
    for (const entry of entries) {
      if (entry.type === EntryType.Membership && entry.index > this.lastConfigIndex()) {
        this.addConfig(entry.index, decodeMembershipChange(entry.data).membership);
      }
    }
    const lastNew = prevIndex + entries.length;
    // Only what the leader sent is known to match: commit no further than it.
    this.commitTo(Math.min(m.commit, lastNew));
    this.replyAppend(m.from, true, lastNew);
  }

  private replyAppend(to: NodeId, success: boolean, index: number): void {
    this.send<AppendResponse>({
      type: 'append-response',
      to,
      term: this.term,
      success,
      index,
      hintTerm: 0,
      hintIndex: 0,
    });
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    // m.commit <= our match on the leader, so our log holds it and agrees up to it.
    this.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send<HeartbeatResponse>({
      type: 'heartbeat-response',
      to: m.from,
      term: this.term,
      context: m.context,
    });
  }

  private commitTo(index: number): void {
    // Invariant: commit <= lastIndex; a follower never commits what it does not hold.
    if (index > this.log.lastIndex()) {
      throw new Error(`commit ${index} beyond last index ${this.log.lastIndex()} on ${this.id}`);
    }
    if (index > this.commit) this.commit = index;
  }

  private handleSnapshotChunk(m: SnapshotChunkRequest): void {
    const meta = m.meta;
    if (meta.index <= this.commit) {
      this.replyAppend(m.from, true, this.commit);
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We hold the snapshot's last entry: fast-forward instead of replacing the log.
      this.commitTo(meta.index);
      this.replyAppend(m.from, true, meta.index);
      return;
    }
    let incoming = this.incomingSnapshot;
    if (
      incoming === null ||
      incoming.meta.index !== meta.index ||
      incoming.meta.term !== meta.term
    ) {
      if (m.offset !== 0) {
        this.replySnapshot(m.from, meta.index, 0, false);
        return;
      }
      incoming = { meta, received: 0 };
      this.incomingSnapshot = incoming;
    }
    if (m.offset !== incoming.received) {
      // Duplicate or out of order: tell the leader where to resume.
      this.replySnapshot(m.from, meta.index, incoming.received, false);
      return;
    }
    if (m.data.length > 0) this.snapshotChunks.push({ meta, offset: m.offset, data: m.data });
    incoming.received += m.data.length;
    if (incoming.received < meta.size) {
      this.replySnapshot(m.from, meta.index, incoming.received, false);
      return;
    }
    // Whole snapshot received: it replaces our log; the host restores the FSM from it.
    this.incomingSnapshot = null;
    this.pendingInstall = meta;
    this.snapshotMeta = meta;
    this.log.restore(meta.index, meta.term);
    this.commit = meta.index;
    this.configs.reset(meta.membership, meta.index);
    this.applyConfig();
    this.replySnapshot(m.from, meta.index, incoming.received, true);
  }

  private replySnapshot(to: NodeId, snapshotIndex: number, received: number, done: boolean): void {
    this.send<SnapshotChunkResponse>({
      type: 'snapshot-response',
      to,
      term: this.term,
      snapshotIndex,
      received,
      done,
    });
  }

  // ---- leader: replication ------------------------------------------------------------------

  private handleAppendResponse(pr: Progress, m: AppendResponse): void {
    if (m.success) {
      if (pr.acknowledge(m.index)) {
        if (pr.state === 'probe') pr.becomeReplicate();
        else if (pr.state === 'snapshot' && pr.snapshot !== null && pr.match >= pr.snapshot.index)
          pr.becomeProbe();
        this.maybeCommit();
        if (this.leadTransferee === pr.id && pr.match === this.log.lastIndex()) {
          this.send({ type: 'timeout-now', to: pr.id, term: this.term });
        }
      }
      if (this.role === 'leader') this.replicateTo(pr, false);
      return;
    }
    // Fast back-off: skip the follower's whole conflicting term, or to its log's end.
    let next = m.hintIndex;
    if (m.hintTerm > 0) {
      const last = this.log.lastIndexOfTerm(m.hintTerm, m.index);
      if (last > 0) next = last + 1;
    }
    if (pr.reject(m.index, next)) this.replicateTo(pr, true);
  }

  private handleHeartbeatResponse(pr: Progress, m: HeartbeatResponse): void {
    if (m.context > pr.readAck) {
      pr.readAck = m.context;
      this.advanceReads();
    }
    pr.probeSent = false;
    // Appends may have been lost: resend from next (an empty one makes the follower reject).
    if (pr.match < this.log.lastIndex()) {
      pr.freeOneInflight();
      this.replicateTo(pr, true);
    }
  }

  private handleSnapshotResponse(pr: Progress, m: SnapshotChunkResponse): void {
    if (pr.state !== 'snapshot' || pr.snapshot === null || pr.snapshot.index !== m.snapshotIndex)
      return;
    if (m.done) {
      pr.acknowledge(m.snapshotIndex);
      pr.becomeProbe();
      this.replicateTo(pr, true);
      return;
    }
    if (m.received !== pr.snapshotOffset) {
      pr.snapshotOffset = m.received;
      pr.snapshotProgressed = true;
      this.sendSnapshotChunk(pr);
    }
  }

  /** Sends appends to `pr` until paused or caught up; an empty one only when `allowEmpty`. */
  private replicateTo(pr: Progress, allowEmpty: boolean): void {
    let sentEmpty = !allowEmpty;
    while (!pr.isPaused(this.maxInflight)) {
      const prevIndex = pr.next - 1;
      const prevTerm = this.log.term(prevIndex);
      if (prevTerm === undefined) {
        this.startSnapshot(pr);
        return;
      }
      const entries = this.log.slice(pr.next, pr.next + this.maxAppendEntries);
      if (entries.length === 0) {
        if (sentEmpty) return;
        sentEmpty = true;
      }
      this.send<AppendRequest>({
        type: 'append',
        to: pr.id,
        term: this.term,
        prevIndex,
        prevTerm,
        entries,
        commit: this.commit,
      });
      pr.sentAppend(prevIndex + entries.length);
      if (entries.length === 0) return;
    }
  }

  private startSnapshot(pr: Progress): void {
    if (this.snapshotMeta === null) {
      throw new Error(`follower ${pr.id} needs entry ${pr.next}, compacted without a snapshot`);
    }
    pr.becomeSnapshot(this.snapshotMeta);
    this.sendSnapshotChunk(pr);
  }

  private sendSnapshotChunk(pr: Progress): void {
    const meta = pr.snapshot as SnapshotMeta;
    const length = Math.min(this.snapshotChunkSize, meta.size - pr.snapshotOffset);
    this.send<SnapshotChunkRequest>({
      type: 'snapshot',
      to: pr.id,
      term: this.term,
      meta,
      offset: pr.snapshotOffset,
      length,
      data: EMPTY,
    });
  }

  private broadcastHeartbeat(): void {
    for (const pr of this.progress.values()) {
      const commit = Math.min(pr.match, this.commit);
      this.send<HeartbeatRequest>({
        type: 'heartbeat',
        to: pr.id,
        term: this.term,
        commit,
        context: this.readRound,
      });
      if (pr.state === 'snapshot') {
        // Retransmit a chunk nobody acknowledged for a heartbeat interval; move to a newer snapshot.
        if (
          this.snapshotMeta !== null &&
          pr.snapshot !== null &&
          this.snapshotMeta.index > pr.snapshot.index
        ) {
          this.startSnapshot(pr);
        } else if (!pr.snapshotProgressed) {
          this.sendSnapshotChunk(pr);
        }
        pr.snapshotProgressed = false;
      }
    }
  }

  private flushLeaderSends(): void {
    if (this.role !== 'leader') return;
    if (this.needAppend || this.needCommitBroadcast) {
      for (const pr of this.progress.values()) this.replicateTo(pr, this.needCommitBroadcast);
      this.needAppend = false;
      this.needCommitBroadcast = false;
      this.pruneProgress();
    }
    if (this.needHeartbeat) {
      this.needHeartbeat = false;
      this.broadcastHeartbeat();
    }
  }

  /** Commit rule: the quorum-replicated index, but only if it is of the current term (§5.4.2). */
  private maybeCommit(): void {
    const matches = this.scratch;
    matches.length = 0;
    for (const id of this.voterIds) {
      matches.push(
        id === this.id ? this.log.persistedIndex() : (this.progress.get(id)?.match ?? 0),
      );
    }
    const index = quorumValue(matches);
    if (index <= this.commit || this.log.term(index) !== this.term) return;
    this.commit = index;
    this.needCommitBroadcast = true;
    if (this.waitingReads.length > 0) {
      const waiting = this.waitingReads;
      this.waitingReads = [];
      for (const requestId of waiting) this.serveRead(requestId);
    }
    // A leader removed from the configuration leads until its removal commits, then steps down
    // (telling the others the new commit index first, so that they need not wait for the next leader).
    if (!this.selfVoter && this.commit >= this.lastConfigIndex()) {
      for (const pr of this.progress.values()) this.replicateTo(pr, true);
      this.becomeFollower(this.term, null);
    }
  }

  private appendEntry(type: EntryType, data: Uint8Array): number {
    const index = this.log.lastIndex() + 1;
    this.log.push({ index, term: this.term, type, data });
    if (type === EntryType.Membership)
      this.addConfig(index, decodeMembershipChange(data).membership);
    this.needAppend = true;
    return index;
  }

  // ---- leader: reads and membership ---------------------------------------------------------

  private committedInTerm(): boolean {
    return this.log.term(this.commit) === this.term;
  }

  private serveRead(requestId: number): void {
    if (this.voterIds.length === 1 && this.selfVoter) {
      this.readStates.push({ requestId, index: this.commit });
      return;
    }
    // Every read of one turn shares a round: one heartbeat broadcast confirms them all.
    if (!this.needHeartbeat) {
      this.readRound++;
      this.needHeartbeat = true;
    }
    this.readQueue.push({ requestId, index: this.commit, round: this.readRound });
  }

  private advanceReads(): void {
    if (this.readQueue.length === 0) return;
    const acks = this.scratch;
    acks.length = 0;
    for (const id of this.voterIds)
      acks.push(id === this.id ? this.readRound : (this.progress.get(id)?.readAck ?? 0));
    const confirmed = quorumValue(acks);
    let served = 0;
    while (served < this.readQueue.length && this.readQueue[served].round <= confirmed) {
      const read = this.readQueue[served++];
      this.readStates.push({ requestId: read.requestId, index: read.index });
    }
    if (served > 0) this.readQueue.splice(0, served);
  }

  private proposeMembership(op: MembershipOp, server: { id: NodeId; address?: string }): number {
    this.requireLeader();
    if (this.pendingConfIndex > this.commit) {
      throw new Error(
        `membership change in progress: entry ${this.pendingConfIndex} is not committed yet`,
      );
    }
    const change = changeMembership(this.membership(), op, server);
    const index = this.appendEntry(EntryType.Membership, encodeMembershipChange(change));
    this.pendingConfIndex = index;
    return index;
  }

  private lastConfigIndex(): number {
    return this.configs.latestIndex();
  }

  private addConfig(index: number, membership: Membership): void {
    this.configs.add(index, membership);
    this.applyConfig();
  }

  private dropConfigsFrom(index: number): void {
    if (this.configs.truncateFrom(index)) this.applyConfig();
  }

  private applyConfig(): void {
    const membership = this.membership();
    this.voterIds = membership.servers.filter((s) => s.voter).map((s) => s.id);
    this.selfVoter = this.voterIds.includes(this.id);
    if (this.role !== 'leader') return;
    for (const server of membership.servers) {
      if (server.id !== this.id && !this.progress.has(server.id)) {
        this.progress.set(server.id, new Progress(server.id, this.log.lastIndex() + 1));
        this.needAppend = true;
      }
    }
    if (this.leadTransferee !== null && !this.voterIds.includes(this.leadTransferee)) {
      this.leadTransferee = null;
    }
    this.pruneProgress();
    this.maybeCommit();
  }

  /**
   * Forgets servers that left the configuration, but only once their removal is committed:
   * until then they still receive the log, so they learn of their removal and stay quiet.
   */
  private pruneProgress(): void {
    const latest = this.membership();
    const committed = this.membershipAt(this.commit);
    for (const id of this.progress.keys()) {
      if (findServer(latest, id) === undefined && findServer(committed, id) === undefined) {
        this.progress.delete(id);
      }
    }
  }

  private mostUpToDateVoter(): NodeId | null {
    let best: Progress | null = null;
    for (const id of this.voterIds) {
      const pr = this.progress.get(id);
      if (pr !== undefined && (best === null || pr.match > best.match)) best = pr;
    }
    return best?.id ?? null;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private requireLeader(): void {
    if (this.role !== 'leader') throw this.notLeader();
    // Refuse new work while handing over: the target must catch up with a log that stands still.
    if (this.leadTransferee !== null) throw new NotLeaderError(null, null);
  }

  private notLeader(): NotLeaderError {
    return new NotLeaderError(this.leaderId, this.leaderAddress());
  }

  private send<M extends RaftMessage>(message: Omit<M, 'from'>): void {
    this.messages.push({ ...message, from: this.id } as RaftMessage);
  }

  private softState(): SoftState {
    return { role: this.role, leaderId: this.leaderId, term: this.term };
  }

  private hardStateChanged(): boolean {
    const prev = this.prevHardState;
    return prev.term !== this.term || prev.votedFor !== this.votedFor;
  }
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leaderId === b.leaderId && a.term === b.term;
}
