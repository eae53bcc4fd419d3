/**
 * `EconomyState` and its reducer `applyEvent`: every balance the contracts hold (token balances
 * of every address — treasury, faucet, the Settlement contract holding all escrow, the Staking
 * contract holding all stake — escrow per requester, bonded/unbonding per operator), totalSupply,
 * minted, burned, committed, epochs, governance. Replaying the same event list on the EVM must
 * give the same balances and totalSupply to the wei; an event that throws here reverts there,
 * leaving the state as it was.
 *
 * @example
 * let s = genesisState(LOCAL_PROFILE);
 * s = applyEvent(s, { type: 'transfer', from: s.addresses.faucet, to: 'alice', amount: 1_000n * WAD });
 * s = applyEvent(s, { type: 'deposit', requester: 'alice', amount: 500n * WAD });
 * s = applyEvent(s, { type: 'settle', requester: 'alice', worker: 'bob', amountDelta: WAD, workDelta: 100n });
 * s = applyEvent(s, { type: 'claimEmission', worker: 'bob', epoch: 0, at: 30 });
 * checkInvariants(s); // []
 */
import { InsufficientBalanceError, InsufficientEscrowError, InvalidAmountError, EpochError, GovernanceError, StakingError, TimeError, WithdrawalError } from './errors.ts';
import { epochBudget, workerReward } from './emission.ts';
import { splitFee } from './fees.ts';
import { checkPrice } from './pricing.ts';
import { CAP, DEFAULT_PARAMS, GENESIS_FAUCET, GENESIS_SUPPLY, GENESIS_TREASURY, paramsWithinBounds, setParam, type Params } from './params.ts';
import { checkProfile, epochOf, type TimeProfile } from './profiles.ts';
import { bond, slashPosition, unbond, unbondingTotal, withdrawUnbonded, type StakePosition } from './staking.ts';
import { offenceKey, slashAmounts, verifyEquivocation, type EquivocationEvidence } from './slashing.ts';
import {
  delegateVotes,
  emptyVotes,
  meetsProposalThreshold,
  pastVotes,
  proposalStatus,
  proposalTiming,
  totalVotesAt,
  transferVotingUnits,
  type ParamAction,
  type Proposal,
  type VoteSupport,
  type VotesState,
} from './governance.ts';

/** Contract and allocation addresses (any strings; the EVM test maps them to real addresses). */
export interface Addresses {
  readonly treasury: string;
  readonly faucet: string;
  /** The Settlement contract: its token balance is the sum of all escrow. */
  readonly settlement: string;
  /** The Staking contract: its token balance is all bonded + unbonding stake. */
  readonly staking: string;
}

export const DEFAULT_ADDRESSES: Addresses = Object.freeze({ treasury: 'treasury', faucet: 'faucet', settlement: 'settlement', staking: 'staking' });

export interface EpochData {
  /** Fixed when the epoch closes. */
  budget: bigint;
  closed: boolean;
  finalized: boolean;
  totalWork: bigint;
  /** Sum of rewards claimed for this epoch. */
  claimed: bigint;
  /** Sum of the rewards' pro-rata shares that the burn cap cut off (for reports; not a contract value). */
  capped: bigint;
  /** `work[e][worker]` (dropped once finalized). */
  work: Map<string, bigint>;
  /** `burnPaid[e][worker]` (dropped once finalized). */
  burnPaid: Map<string, bigint>;
  /** Workers that claimed (dropped once finalized). */
  claimedBy: Set<string>;
}

export interface PendingWithdrawal {
  readonly amount: bigint;
  readonly releaseAt: number;
}

export interface SlashRecord {
  readonly operator: string;
  readonly jobId: string;
  readonly unitIndex: number;
  readonly reporter: string;
  readonly slashed: bigint;
  readonly reporterReward: bigint;
  readonly burned: bigint;
  /** The evidence the slash was verified on (two valid conflicting signatures). */
  readonly evidence: EquivocationEvidence;
  readonly at: number;
}

/** Running totals for reports (not contract storage, but derived from the same events). */
export interface EconomyStats {
  fees: bigint;
  burnedFees: bigint;
  burnedSlash: bigint;
  treasuryFees: bigint;
  workerFees: bigint;
  slashed: bigint;
  reporterRewards: bigint;
  work: bigint;
}

export interface EconomyState {
  readonly profile: TimeProfile;
  readonly genesisTime: number;
  /** block.timestamp of the last event. */
  now: number;
  readonly addresses: Addresses;
  params: Params;
  /** ERC-20 balances, including the contracts'. */
  balances: Map<string, bigint>;
  totalSupply: bigint;
  /** Minted by emission (not genesis). */
  minted: bigint;
  burned: bigint;
  /** Budget of closed, unfinalized epochs not yet claimed. */
  committed: bigint;
  escrow: Map<string, bigint>;
  withdrawals: Map<string, PendingWithdrawal>;
  stakes: Map<string, StakePosition>;
  totalBonded: bigint;
  totalUnbonding: bigint;
  epochs: Map<number, EpochData>;
  /** Highest closed epoch (−1: none). */
  lastClosed: number;
  slashedOffences: Set<string>;
  slashes: SlashRecord[];
  votes: VotesState;
  proposals: Map<string, Proposal>;
  stats: EconomyStats;
}

interface At {
  /** block.timestamp of the event; time advances to it first (must not be before `now`). */
  at?: number;
}

export type EconomyEvent = At &
  (
    | { type: 'transfer'; from: string; to: string; amount: bigint }
    | { type: 'deposit'; requester: string; amount: bigint }
    | { type: 'requestWithdrawal'; requester: string; amount: bigint }
    | { type: 'withdraw'; requester: string }
    | { type: 'settle'; requester: string; worker: string; amountDelta: bigint; workDelta: bigint; index?: number }
    | { type: 'closeEpoch'; epoch: number }
    | { type: 'claimEmission'; worker: string; epoch: number }
    | { type: 'finalizeEpoch'; epoch: number }
    | { type: 'bond'; staker: string; operator: string; amount: bigint }
    | { type: 'unbond'; staker: string; operator: string; amount: bigint }
    | { type: 'withdrawUnbonded'; operator: string }
    | { type: 'slash'; reporter: string; evidence: EquivocationEvidence }
    | { type: 'delegate'; account: string; to: string }
    | { type: 'propose'; proposer: string; proposalId: string; actions: readonly ParamAction[] }
    | { type: 'castVote'; voter: string; proposalId: string; support: VoteSupport }
    | { type: 'queue'; proposalId: string }
    | { type: 'execute'; proposalId: string }
    | { type: 'paramChange'; id: number; value: bigint }
    | { type: 'advanceTime'; seconds: number }
  );

export type EconomyEventType = EconomyEvent['type'];

export interface GenesisOptions {
  genesisTime?: number;
  addresses?: Partial<Addresses>;
  params?: Params;
}

/**
 * The state right after deployment: treasury 100M MESH, faucet 50M MESH, nothing else
 * minted; default parameters; time = genesisTime.
 */
export function genesisState(profile: TimeProfile, opts: GenesisOptions = {}): EconomyState {
  checkProfile(profile);
  const addresses = { ...DEFAULT_ADDRESSES, ...opts.addresses };
  const genesisTime = opts.genesisTime ?? 0;
  const params = opts.params ?? DEFAULT_PARAMS;
  if (!paramsWithinBounds(params)) throw new RangeError('genesis params outside their hard bounds');
  return {
    profile,
    genesisTime,
    now: genesisTime,
    addresses,
    params,
    balances: new Map([
      [addresses.treasury, GENESIS_TREASURY],
      [addresses.faucet, GENESIS_FAUCET],
    ]),
    totalSupply: GENESIS_SUPPLY,
    minted: 0n,
    burned: 0n,
    committed: 0n,
    escrow: new Map(),
    withdrawals: new Map(),
    stakes: new Map(),
    totalBonded: 0n,
    totalUnbonding: 0n,
    epochs: new Map(),
    lastClosed: -1,
    slashedOffences: new Set(),
    slashes: [],
    votes: emptyVotes(),
    proposals: new Map(),
    stats: { fees: 0n, burnedFees: 0n, burnedSlash: 0n, treasuryFees: 0n, workerFees: 0n, slashed: 0n, reporterRewards: 0n, work: 0n },
  };
}

/** A deep copy (Maps, Sets, bigints and all). */
export function cloneState(s: EconomyState): EconomyState {
  return structuredClone(s);
}

/** Pure reducer: the state after `event`, or the error the contract would revert with (the input is untouched). */
export function applyEvent(state: EconomyState, event: EconomyEvent): EconomyState {
  const s = cloneState(state);
  applyEventInPlace(s, event);
  return s;
}

/** `applyEvent` over a list. */
export function applyEvents(state: EconomyState, events: Iterable<EconomyEvent>): EconomyState {
  const s = cloneState(state);
  for (const e of events) applyEventInPlace(s, e);
  return s;
}

export function balanceOf(s: EconomyState, account: string): bigint {
  return s.balances.get(account) ?? 0n;
}

/** Current epoch: `epoch(now)`. */
export function currentEpoch(s: EconomyState): number {
  return epochOf(s.profile, s.genesisTime, s.now);
}

function epochData(s: EconomyState, e: number): EpochData {
  let d = s.epochs.get(e);
  if (!d) {
    d = { budget: 0n, closed: false, finalized: false, totalWork: 0n, claimed: 0n, capped: 0n, work: new Map(), burnPaid: new Map(), claimedBy: new Set() };
    s.epochs.set(e, d);
  }
  return d;
}

function debit(s: EconomyState, account: string, amount: bigint): void {
  const b = balanceOf(s, account);
  if (b < amount) throw new InsufficientBalanceError(account, b, amount);
  s.balances.set(account, b - amount);
}

function credit(s: EconomyState, account: string, amount: bigint): void {
  if (amount !== 0n) s.balances.set(account, balanceOf(s, account) + amount);
}

function positive(field: string, v: bigint): void {
  if (typeof v !== 'bigint' || v <= 0n) throw new InvalidAmountError(field, typeof v === 'bigint' ? v : 0n);
}

function burn(s: EconomyState, amount: bigint): void {
  s.totalSupply -= amount;
  s.burned += amount;
}

/** Closes every epoch up to `e` (in order), fixing each budget. */
function closeThrough(s: EconomyState, e: number): void {
  for (let k = s.lastClosed + 1; k <= e; k++) {
    const d = epochData(s, k);
    d.budget = epochBudget({ epoch: k, emissionRateBps: s.params.emissionRateBps, totalSupply: s.totalSupply, committed: s.committed });
    d.closed = true;
    s.committed += d.budget;
    s.lastClosed = k;
  }
}

/**
 * Mutating reducer (for long simulations). Every check precedes every write, so an event that
 * throws leaves `s` unchanged.
 */
export function applyEventInPlace(s: EconomyState, ev: EconomyEvent): void {
  if (ev.at !== undefined) {
    if (!Number.isSafeInteger(ev.at) || ev.at < s.now) throw new TimeError(s.now, ev.at);
  }
  const prevNow = s.now;
  if (ev.at !== undefined) s.now = ev.at;
  try {
    apply(s, ev);
  } catch (err) {
    s.now = prevNow;
    throw err;
  }
}

function apply(s: EconomyState, ev: EconomyEvent): void {
  const P = s.params;
  const A = s.addresses;
  switch (ev.type) {
    case 'advanceTime': {
      if (!Number.isSafeInteger(ev.seconds) || ev.seconds < 0) throw new TimeError(s.now, s.now + ev.seconds);
      s.now += ev.seconds;
      return;
    }
    case 'transfer': {
      if (ev.amount < 0n) throw new InvalidAmountError('amount', ev.amount);
      debit(s, ev.from, ev.amount);
      credit(s, ev.to, ev.amount);
      return;
    }
    case 'deposit': {
      positive('amount', ev.amount);
      debit(s, ev.requester, ev.amount);
      credit(s, A.settlement, ev.amount);
      s.escrow.set(ev.requester, (s.escrow.get(ev.requester) ?? 0n) + ev.amount);
      return;
    }
    case 'requestWithdrawal': {
      positive('amount', ev.amount);
      const esc = s.escrow.get(ev.requester) ?? 0n;
      if (ev.amount > esc) throw new InsufficientEscrowError(ev.requester, esc, ev.amount);
      s.withdrawals.set(ev.requester, { amount: ev.amount, releaseAt: s.now + s.profile.withdrawalDelay });
      return;
    }
    case 'withdraw': {
      const w = s.withdrawals.get(ev.requester);
      if (!w) throw new WithdrawalError(ev.requester, 'none-pending');
      if (s.now < w.releaseAt) throw new WithdrawalError(ev.requester, 'not-released');
      const esc = s.escrow.get(ev.requester) ?? 0n;
      const paid = w.amount < esc ? w.amount : esc;
      s.withdrawals.delete(ev.requester);
      s.escrow.set(ev.requester, esc - paid);
      debit(s, A.settlement, paid);
      credit(s, ev.requester, paid);
      return;
    }
    case 'settle': {
      positive('amountDelta', ev.amountDelta);
      if (ev.workDelta < 0n) throw new InvalidAmountError('workDelta', ev.workDelta);
      checkPrice(ev, P, ev.index ?? 0);
      const esc = s.escrow.get(ev.requester) ?? 0n;
      if (ev.amountDelta > esc) throw new InsufficientEscrowError(ev.requester, esc, ev.amountDelta);
      const fee = splitFee(ev.amountDelta, P);
      s.escrow.set(ev.requester, esc - ev.amountDelta);
      debit(s, A.settlement, ev.amountDelta);
      burn(s, fee.burn);
      credit(s, A.treasury, fee.treasury);
      credit(s, ev.worker, fee.worker);
      const d = epochData(s, currentEpoch(s));
      d.work.set(ev.worker, (d.work.get(ev.worker) ?? 0n) + ev.workDelta);
      d.totalWork += ev.workDelta;
      d.burnPaid.set(ev.worker, (d.burnPaid.get(ev.worker) ?? 0n) + fee.burn);
      const st = s.stats;
      st.fees += ev.amountDelta;
      st.burnedFees += fee.burn;
      st.treasuryFees += fee.treasury;
      st.workerFees += fee.worker;
      st.work += ev.workDelta;
      return;
    }
    case 'closeEpoch': {
      if (!(ev.epoch < currentEpoch(s))) throw new EpochError(ev.epoch, 'not-ended');
      if (ev.epoch <= s.lastClosed) throw new EpochError(ev.epoch, 'already-closed');
      closeThrough(s, ev.epoch);
      return;
    }
    case 'claimEmission': {
      const e = ev.epoch;
      if (!Number.isSafeInteger(e) || e < 0 || !(e < currentEpoch(s))) throw new EpochError(e, 'not-ended');
      const existing = s.epochs.get(e);
      if (existing?.finalized) throw new EpochError(e, 'finalized');
      if (existing?.claimedBy.has(ev.worker)) throw new EpochError(e, 'already-claimed');
      closeThrough(s, e);
      const d = epochData(s, e);
      const r = workerReward({ budget: d.budget, work: d.work.get(ev.worker) ?? 0n, totalWork: d.totalWork, burnPaid: d.burnPaid.get(ev.worker) ?? 0n, maxEmissionPerBurnBps: P.maxEmissionPerBurnBps });
      d.claimedBy.add(ev.worker);
      d.claimed += r.reward;
      d.capped += r.proRata - r.reward;
      s.committed -= r.reward;
      s.totalSupply += r.reward;
      s.minted += r.reward;
      credit(s, ev.worker, r.reward);
      return;
    }
    case 'finalizeEpoch': {
      const e = ev.epoch;
      if (!Number.isSafeInteger(e) || e < 0 || !(currentEpoch(s) >= e + 2)) throw new EpochError(e, 'too-early-to-finalize');
      if (s.epochs.get(e)?.finalized) throw new EpochError(e, 'finalized');
      closeThrough(s, e);
      const d = epochData(s, e);
      s.committed -= d.budget - d.claimed;
      d.finalized = true;
      d.work = new Map();
      d.burnPaid = new Map();
      d.claimedBy = new Set();
      return;
    }
    case 'bond': {
      const next = bond(s.stakes.get(ev.operator), ev.staker, ev.amount, ev.operator);
      debit(s, ev.staker, ev.amount);
      credit(s, A.staking, ev.amount);
      s.stakes.set(ev.operator, next);
      s.totalBonded += ev.amount;
      transferVotingUnits(s.votes, ev.staker, ev.amount, s.now);
      return;
    }
    case 'unbond': {
      const next = unbond(s.stakes.get(ev.operator), ev.staker, ev.amount, s.now, s.profile.unbondingDelay, ev.operator);
      s.stakes.set(ev.operator, next);
      s.totalBonded -= ev.amount;
      s.totalUnbonding += ev.amount;
      transferVotingUnits(s.votes, ev.staker, -ev.amount, s.now);
      return;
    }
    case 'withdrawUnbonded': {
      const { position, paid } = withdrawUnbonded(s.stakes.get(ev.operator), s.now, ev.operator);
      debit(s, A.staking, paid);
      credit(s, position.staker, paid);
      s.stakes.set(ev.operator, position);
      s.totalUnbonding -= paid;
      return;
    }
    case 'slash': {
      const operator = verifyEquivocation(ev.evidence);
      const key = offenceKey({ ...ev.evidence, operator });
      if (s.slashedOffences.has(key)) throw new StakingError(operator, 'already-slashed');
      const pos = s.stakes.get(operator);
      const stake = pos ? pos.bonded + unbondingTotal(pos) : 0n;
      const amt = slashAmounts(stake, P.slashBps, P.reporterBps);
      s.slashedOffences.add(key);
      if (pos) {
        const r = slashPosition(pos, amt.slashed);
        s.stakes.set(operator, r.position);
        s.totalBonded -= r.fromBonded;
        s.totalUnbonding -= r.fromUnbonding;
        transferVotingUnits(s.votes, pos.staker, -r.fromBonded, s.now);
      }
      debit(s, A.staking, amt.slashed);
      credit(s, ev.reporter, amt.reporterReward);
      burn(s, amt.burned);
      s.stats.slashed += amt.slashed;
      s.stats.reporterRewards += amt.reporterReward;
      s.stats.burnedSlash += amt.burned;
      s.slashes.push({ operator, jobId: ev.evidence.jobId, unitIndex: ev.evidence.unitIndex, reporter: ev.reporter, ...amt, evidence: ev.evidence, at: s.now });
      return;
    }
    case 'delegate': {
      delegateVotes(s.votes, ev.account, ev.to, s.now);
      return;
    }
    case 'propose': {
      if (s.proposals.has(ev.proposalId)) throw new GovernanceError(ev.proposalId, 'already exists');
      if (ev.actions.length === 0) throw new GovernanceError(ev.proposalId, 'has no actions');
      // An unknown parameter id is not refused here: the Governor only checks that each action is a
      // Params.set call; Params.set reverts (UnknownParam) when the proposal is executed.
      const v = pastVotes(s.votes, ev.proposer, s.now - 1);
      if (!meetsProposalThreshold(v)) throw new GovernanceError(ev.proposalId, `proposer votes ${v} below the proposal threshold`);
      const { snapshot, deadline } = proposalTiming(s.now, s.profile.votingDelay, s.profile.votingPeriod);
      s.proposals.set(ev.proposalId, { id: ev.proposalId, proposer: ev.proposer, actions: ev.actions.map((a) => ({ id: a.id, value: a.value })), snapshot, deadline, forVotes: 0n, againstVotes: 0n, abstainVotes: 0n, voters: new Set(), executed: false });
      return;
    }
    case 'castVote': {
      const p = proposalOrThrow(s, ev.proposalId);
      if (status(s, p) !== 'Active') throw new GovernanceError(p.id, `not active (${status(s, p)})`);
      if (p.voters.has(ev.voter)) throw new GovernanceError(p.id, `${ev.voter} already voted`);
      if (ev.support !== 0 && ev.support !== 1 && ev.support !== 2) throw new GovernanceError(p.id, 'invalid support');
      const w = pastVotes(s.votes, ev.voter, p.snapshot);
      p.voters.add(ev.voter);
      if (ev.support === 0) p.againstVotes += w;
      else if (ev.support === 1) p.forVotes += w;
      else p.abstainVotes += w;
      return;
    }
    case 'queue': {
      const p = proposalOrThrow(s, ev.proposalId);
      if (status(s, p) !== 'Succeeded') throw new GovernanceError(p.id, `not succeeded (${status(s, p)})`);
      p.eta = s.now + s.profile.timelockDelay;
      return;
    }
    case 'execute': {
      const p = proposalOrThrow(s, ev.proposalId);
      if (status(s, p) !== 'Queued') throw new GovernanceError(p.id, `not queued (${status(s, p)})`);
      if (s.now < (p.eta as number)) throw new GovernanceError(p.id, 'timelock not expired');
      let next = s.params;
      for (const a of p.actions) next = setParam(next, a.id, a.value); // ParamOutOfBoundsError reverts everything
      s.params = next;
      p.executed = true;
      return;
    }
    case 'paramChange': {
      s.params = setParam(s.params, ev.id, ev.value);
      return;
    }
    default: {
      const never: never = ev;
      throw new TypeError(`unknown event ${(never as { type: string }).type}`);
    }
  }
}

function proposalOrThrow(s: EconomyState, id: string): Proposal {
  const p = s.proposals.get(id);
  if (!p) throw new GovernanceError(id, 'unknown');
  return p;
}

function status(s: EconomyState, p: Proposal) {
  return proposalStatus(p, s.now, p.snapshot < s.now ? totalVotesAt(s.votes, p.snapshot) : 0n);
}

/** A proposal's status now (`Governor.state`). */
export function proposalStatusOf(s: EconomyState, proposalId: string) {
  return status(s, proposalOrThrow(s, proposalId));
}

/**
 * The accounting invariants; returns the violated ones (empty when all hold):
 * supply ≤ CAP, supply + committed ≤ CAP, genesis + minted − burned = supply, Σ balances = supply,
 * Settlement balance = Σ escrow, Staking balance = Σ stake, totals match positions, no negative
 * balance, params within bounds.
 */
export function checkInvariants(s: EconomyState): string[] {
  const bad: string[] = [];
  if (s.totalSupply > CAP) bad.push(`totalSupply ${s.totalSupply} > CAP`);
  if (s.totalSupply + s.committed > CAP) bad.push('totalSupply + committed > CAP');
  if (s.committed < 0n) bad.push('committed < 0');
  if (GENESIS_SUPPLY + s.minted - s.burned !== s.totalSupply) bad.push('genesis + minted - burned != totalSupply');
  let sum = 0n;
  for (const [a, b] of s.balances) {
    if (b < 0n) bad.push(`negative balance ${a}`);
    sum += b;
  }
  if (sum !== s.totalSupply) bad.push(`sum of balances ${sum} != totalSupply ${s.totalSupply}`);
  let esc = 0n;
  for (const v of s.escrow.values()) esc += v;
  if (esc !== balanceOf(s, s.addresses.settlement)) bad.push('settlement balance != sum of escrow');
  let bonded = 0n;
  let unb = 0n;
  for (const p of s.stakes.values()) {
    bonded += p.bonded;
    unb += unbondingTotal(p);
  }
  if (bonded !== s.totalBonded || unb !== s.totalUnbonding) bad.push('stake totals != positions');
  if (bonded + unb !== balanceOf(s, s.addresses.staking)) bad.push('staking balance != bonded + unbonding');
  if (!paramsWithinBounds(s.params)) bad.push('params outside hard bounds');
  return bad;
}
