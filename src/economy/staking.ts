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

/** `unbond(operator, amount)`: staker only, at most the bonded amount, releasable at `now + unbondingDelay`. */
export function unbond(p: StakePosition | undefined, caller: string, amount: bigint, now: number, unbondingDelay: number, operator = ''): StakePosition {
  if (!p || p.staker !== caller) throw new StakingError(operator, 'not-staker');
  if (amount <= 0n) throw new InvalidAmountError('amount', amount);
  if (amount > p.bonded) throw new StakingError(operator, 'exceeds-bonded');
  return { staker: p.staker, bonded: p.bonded - amount, unbonding: [...p.unbonding, { amount, releaseAt: now + unbondingDelay }] };
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

/** Takes `amount` (≤ bonded + unbonding) from bonded first, then from unbonding entries oldest first. */
export function slashPosition(p: StakePosition, amount: bigint): SlashedPosition {
  const total = p.bonded + unbondingTotal(p);
  if (amount < 0n || amount > total) throw new RangeError(`slash ${amount} outside 0 .. ${total}`);
  const fromBonded = amount < p.bonded ? amount : p.bonded;
  let left = amount - fromBonded;
  const unbonding = p.unbonding.map((u) => {
    const take = left < u.amount ? left : u.amount;
    left -= take;
    return take === 0n ? u : { amount: u.amount - take, releaseAt: u.releaseAt };
  });
  return { position: { staker: p.staker, bonded: p.bonded - fromBonded, unbonding }, fromBonded, fromUnbonding: amount - fromBonded };
}
