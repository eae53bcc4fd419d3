/**
 * Stake of one operator (RULES.md, Staking): pure state transitions. The staker (the first
 * bonder) is fixed; unbonding entries stay slashable until withdrawn.
 *
 * @example
 * let p = bond(undefined, '0xstaker', 100n);            // { staker: '0xstaker', bonded: 100n, unbonding: [] }
 * p = unbond(p, '0xstaker', 40n, 1_000, 120);          // bonded 60n, unbonding [{ amount: 40n, releaseAt: 1_120 }]
 * const { position, paid } = withdrawUnbonded(p, 1_120); // paid 40n
 * slashPosition(position, 30n).position.bonded;        // 30n
 */
import { InvalidAmountError, StakingError } from './errors.ts';

/**
 * Most pending unbonding entries per operator (`Staking.MAX_UNBONDING_ENTRIES`): bounds the gas of
 * a slash, which walks the entries oldest first. An unbond with the same release time as the
 * newest entry is merged into it and does not count.
 */
export const MAX_UNBONDING_ENTRIES = 16;

export interface UnbondingEntry {
  readonly amount: bigint;
  /** Timestamp from which `withdrawUnbonded` pays it. */
  readonly releaseAt: number;
}

export interface StakePosition {
  /** The first bonder: the only account that can bond more, unbond, and receive withdrawals. */
  readonly staker: string;
  readonly bonded: bigint;
  /** Oldest first. */
  readonly unbonding: readonly UnbondingEntry[];
}

/** Sum of the unbonding entries. */
export function unbondingTotal(p: StakePosition | undefined): bigint {
  let s = 0n;
  for (const u of p?.unbonding ?? []) s += u.amount;
  return s;
}

/** `bond(operator, amount)` by `staker`; StakingError('not-staker') when another account staked first. */
export function bond(p: StakePosition | undefined, staker: string, amount: bigint, operator = ''): StakePosition {
  if (amount <= 0n) throw new InvalidAmountError('amount', amount);
  if (p && p.staker !== staker) throw new StakingError(operator, 'not-staker');
  return { staker, bonded: (p?.bonded ?? 0n) + amount, unbonding: p?.unbonding ?? [] };
}

/**
 * `unbond(operator, amount)`: staker only, at most the bonded amount, releasable at `now + unbondingDelay`.
 * Merged into the newest entry when that has the same release time; otherwise a new entry, and
 * StakingError('too-many-unbonding-entries') when {@link MAX_UNBONDING_ENTRIES} are pending.
 */
export function unbond(p: StakePosition | undefined, caller: string, amount: bigint, now: number, unbondingDelay: number, operator = ''): StakePosition {
  if (!p || p.staker !== caller) throw new StakingError(operator, 'not-staker');
  if (amount <= 0n) throw new InvalidAmountError('amount', amount);
  if (amount > p.bonded) throw new StakingError(operator, 'exceeds-bonded');
  const releaseAt = now + unbondingDelay;
  const last = p.unbonding[p.unbonding.length - 1];
  if (last && last.releaseAt === releaseAt) {
    return { staker: p.staker, bonded: p.bonded - amount, unbonding: [...p.unbonding.slice(0, -1), { amount: last.amount + amount, releaseAt }] };
  }
  if (p.unbonding.length >= MAX_UNBONDING_ENTRIES) throw new StakingError(operator, 'too-many-unbonding-entries');
  return { staker: p.staker, bonded: p.bonded - amount, unbonding: [...p.unbonding, { amount, releaseAt }] };
}

/** `withdrawUnbonded(operator)`: pays every entry with `releaseAt <= now` to the staker; StakingError('nothing-to-withdraw') when that is 0. */
export function withdrawUnbonded(p: StakePosition | undefined, now: number, operator = ''): { position: StakePosition; paid: bigint } {
  if (!p) throw new StakingError(operator, 'nothing-to-withdraw');
  let paid = 0n;
  const rest: UnbondingEntry[] = [];
  for (const u of p.unbonding) {
    if (u.releaseAt <= now) paid += u.amount;
    else rest.push(u);
  }
  if (paid === 0n) throw new StakingError(operator, 'nothing-to-withdraw');
  return { position: { staker: p.staker, bonded: p.bonded, unbonding: rest }, paid };
}

export interface SlashedPosition {
  position: StakePosition;
  /** Part of `amount` taken from bonded (it also leaves the staker's voting power). */
  fromBonded: bigint;
  fromUnbonding: bigint;
}

/**
 * Takes `amount` (≤ bonded + unbonding) from bonded first, then from unbonding entries oldest
 * first; an entry taken whole is removed (as the contract deletes it), so it no longer counts
 * towards {@link MAX_UNBONDING_ENTRIES}.
 */
export function slashPosition(p: StakePosition, amount: bigint): SlashedPosition {
  const total = p.bonded + unbondingTotal(p);
  if (amount < 0n || amount > total) throw new RangeError(`slash ${amount} outside 0 .. ${total}`);
  const fromBonded = amount < p.bonded ? amount : p.bonded;
  let left = amount - fromBonded;
  const unbonding: UnbondingEntry[] = [];
  for (const u of p.unbonding) {
    const take = left < u.amount ? left : u.amount;
    left -= take;
    if (take === u.amount) continue;
    unbonding.push(take === 0n ? u : { amount: u.amount - take, releaseAt: u.releaseAt });
  }
  return { position: { staker: p.staker, bonded: p.bonded - fromBonded, unbonding }, fromBonded, fromUnbonding: amount - fromBonded };
}
