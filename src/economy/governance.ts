/**
 * Governance (RULES.md, Governance), as OpenZeppelin's `Votes` + `Governor` (simple counting,
 * quorum fraction, timelock control) compute it with a timestamp clock:
 * - voting power = bonded stake of the accounts delegating to you, checkpointed per timestamp;
 * - `propose` needs `getVotes(proposer, now - 1) >= proposalThreshold`;
 *   `snapshot = now + votingDelay`, `deadline = snapshot + votingPeriod`;
 * - votes count between `snapshot < now <= deadline` with the voter's power at `snapshot`;
 * - it succeeds when `for + abstain >= quorum(snapshot)` (4% of total voting units at the
 *   snapshot, rounded down) and `for > against`; it is queued with `eta = now + timelockDelay`
 *   and executed from `eta` on. Execution is `Params.set` per action: any action outside the
 *   hard bounds reverts the whole execution (the proposal stays queued and changes nothing).
 *
 * @example
 * const t = tally({ forVotes: 50n, againstVotes: 10n, abstainVotes: 0n }, 1_000n); // quorum 40n
 * t.succeeded; // true
 * proposalStatus(p, now, totalVotesAt(votes, p.snapshot)); // 'Active' | 'Succeeded' | ...
 */
import { PROPOSAL_THRESHOLD, QUORUM_NUMERATOR } from './params.ts';

export interface Checkpoint {
  readonly t: number;
  readonly v: bigint;
}

/** OZ `Votes` state: delegation, voting units (bonded stake per staker), checkpoints. */
export interface VotesState {
  /** account → delegatee (absent: not delegated, its units do not vote). */
  delegates: Map<string, string>;
  /** account → voting units (its bonded stake as a staker). */
  units: Map<string, bigint>;
  /** delegatee → voting power history. */
  checkpoints: Map<string, Checkpoint[]>;
  /** total voting units history (all bonded stake, delegated or not). */
  total: Checkpoint[];
}

export function emptyVotes(): VotesState {
  return { delegates: new Map(), units: new Map(), checkpoints: new Map(), total: [] };
}

/** The value of a checkpoint history at timepoint `t` (last checkpoint with `t' <= t`; OZ `upperLookup`). */
export function lookup(history: readonly Checkpoint[] | undefined, t: number): bigint {
  if (!history) return 0n;
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((history[mid] as Checkpoint).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0n : (history[lo - 1] as Checkpoint).v;
}

/** Current voting power of `account`. */
export function currentVotes(s: VotesState, account: string): bigint {
  const h = s.checkpoints.get(account);
  return h && h.length ? (h[h.length - 1] as Checkpoint).v : 0n;
}

/** `getPastVotes(account, t)`. */
export function pastVotes(s: VotesState, account: string, t: number): bigint {
  return lookup(s.checkpoints.get(account), t);
}

/** `getPastTotalSupply(t)`: total voting units (bonded stake) at `t`. */
export function totalVotesAt(s: VotesState, t: number): bigint {
  return lookup(s.total, t);
}

/** Appends (or overwrites the same-timestamp) checkpoint. Mutates `history`. */
export function pushCheckpoint(history: Checkpoint[], t: number, v: bigint): void {
  const last = history[history.length - 1];
  if (last && last.t === t) history[history.length - 1] = { t, v };
  else history.push({ t, v });
}

function addPower(s: VotesState, delegatee: string | undefined, delta: bigint, now: number): void {
  if (delegatee === undefined || delta === 0n) return;
  let h = s.checkpoints.get(delegatee);
  if (!h) s.checkpoints.set(delegatee, (h = []));
  pushCheckpoint(h, now, currentVotes(s, delegatee) + delta);
}

/** Voting units of `account` change by `delta` (bond: +, unbond/slash of bonded: −). Mutates `s`. */
export function transferVotingUnits(s: VotesState, account: string, delta: bigint, now: number): void {
  if (delta === 0n) return;
  s.units.set(account, (s.units.get(account) ?? 0n) + delta);
  const t = s.total;
  pushCheckpoint(t, now, (t.length ? (t[t.length - 1] as Checkpoint).v : 0n) + delta);
  addPower(s, s.delegates.get(account), delta, now);
}

/** `delegate(to)` by `account`: moves all its units from its old delegatee to `to`. Mutates `s`. */
export function delegateVotes(s: VotesState, account: string, to: string, now: number): void {
  const old = s.delegates.get(account);
  if (old === to) return;
  const units = s.units.get(account) ?? 0n;
  s.delegates.set(account, to);
  addPower(s, old, -units, now);
  addPower(s, to, units, now);
}

/** One `Params.set(id, value)` call of a proposal. */
export interface ParamAction {
  readonly id: number;
  readonly value: bigint;
}

export interface Proposal {
  readonly id: string;
  readonly proposer: string;
  readonly actions: readonly ParamAction[];
  readonly snapshot: number;
  readonly deadline: number;
  forVotes: bigint;
  againstVotes: bigint;
  abstainVotes: bigint;
  /** Accounts that voted. */
  readonly voters: Set<string>;
  /** Set by `queue`: `now + timelockDelay`. */
  eta?: number;
  executed: boolean;
}

export type ProposalStatus = 'Pending' | 'Active' | 'Defeated' | 'Succeeded' | 'Queued' | 'Executed';

/** 0 against, 1 for, 2 abstain (GovernorCountingSimple). */
export type VoteSupport = 0 | 1 | 2;

export interface Tally {
  /** `totalVotesAtSnapshot * 4 / 100`. */
  quorum: bigint;
  quorumReached: boolean;
  voteSucceeded: boolean;
  /** Quorum reached and for > against. */
  succeeded: boolean;
}

/** The Governor's verdict on the votes of a proposal. */
export function tally(v: Pick<Proposal, 'forVotes' | 'againstVotes' | 'abstainVotes'>, totalVotesAtSnapshot: bigint): Tally {
  const quorum = (totalVotesAtSnapshot * QUORUM_NUMERATOR) / 100n;
  const quorumReached = quorum <= v.forVotes + v.abstainVotes;
  const voteSucceeded = v.forVotes > v.againstVotes;
  return { quorum, quorumReached, voteSucceeded, succeeded: quorumReached && voteSucceeded };
}

/** `state(proposalId)` at time `now`. */
export function proposalStatus(p: Proposal, now: number, totalVotesAtSnapshot: bigint): ProposalStatus {
  if (p.executed) return 'Executed';
  if (p.snapshot >= now) return 'Pending';
  if (p.deadline >= now) return 'Active';
  if (!tally(p, totalVotesAtSnapshot).succeeded) return 'Defeated';
  return p.eta === undefined ? 'Succeeded' : 'Queued';
}

/** `propose` timing: `snapshot = now + votingDelay`, `deadline = snapshot + votingPeriod`. */
export function proposalTiming(now: number, votingDelay: number, votingPeriod: number): { snapshot: number; deadline: number } {
  const snapshot = now + votingDelay;
  return { snapshot, deadline: snapshot + votingPeriod };
}

/** Whether `votes` (the proposer's power at `now - 1`) meets the proposal threshold. */
export function meetsProposalThreshold(votes: bigint): boolean {
  return votes >= PROPOSAL_THRESHOLD;
}
