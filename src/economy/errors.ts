/**
 * Errors of the economy functions. Each one is what the contract would revert with; each class
 * sets a literal `name` (stable under minification), so callers branch on `err.name`.
 *
 * | name | contract revert |
 * |---|---|
 * | `ParamOutOfBoundsError` | `ParamOutOfBounds(id, value)` |
 * | `PriceOutOfBoundsError` | `PriceOutOfBounds(index)` |
 * | `InsufficientBalanceError` | ERC-20 `ERC20InsufficientBalance` |
 * | `InsufficientEscrowError` | a receipt over the requester's escrow, a withdrawal over the escrow |
 * | `EpochError` | closing, claiming or finalizing an epoch at the wrong time or twice |
 * | `StakingError` | not the staker, unbonding more than bonded, nothing to withdraw |
 * | `InvalidEvidenceError` | equivocation evidence that does not prove equivocation (`field`) |
 * | `GovernanceError` | a proposal, vote, queue or execute refused by Governor/Timelock |
 * | `TimeError` | an event dated before the current time |
 * | `InvalidAmountError` | a zero or negative amount where the contract wants a positive one |
 * | `WithdrawalError` | escrow withdrawal with no request pending, or before its delay |
 */
export class EconomyError extends Error {
  constructor(message: string) {
    super(message);
  }
}

export class ParamOutOfBoundsError extends EconomyError {
  override readonly name = 'ParamOutOfBoundsError';
  constructor(
    readonly id: number,
    /** The parameter's name, e.g. `burnBps`. */
    readonly field: string,
    readonly value: bigint,
    readonly min: bigint,
    readonly max: bigint,
  ) {
    super(`param ${field} (id ${id}) = ${value} is outside its hard bounds ${min} .. ${max}`);
  }
}

export class PriceOutOfBoundsError extends EconomyError {
  override readonly name = 'PriceOutOfBoundsError';
  constructor(
    readonly index: number,
    readonly amountDelta: bigint,
    readonly workDelta: bigint,
  ) {
    super(`receipt ${index}: amountDelta ${amountDelta} for workDelta ${workDelta} is outside workDelta × [minPricePerWork, maxPricePerWork]`);
  }
}

export class InsufficientBalanceError extends EconomyError {
  override readonly name = 'InsufficientBalanceError';
  constructor(
    readonly account: string,
    readonly balance: bigint,
    readonly needed: bigint,
  ) {
    super(`${account}: balance ${balance} < ${needed}`);
  }
}

export class InsufficientEscrowError extends EconomyError {
  override readonly name = 'InsufficientEscrowError';
  constructor(
    readonly requester: string,
    readonly escrow: bigint,
    readonly needed: bigint,
  ) {
    super(`${requester}: escrow ${escrow} < ${needed}`);
  }
}

export class EpochError extends EconomyError {
  override readonly name = 'EpochError';
  constructor(
    readonly epoch: number,
    readonly reason: 'not-ended' | 'already-closed' | 'already-claimed' | 'finalized' | 'too-early-to-finalize',
  ) {
    super(`epoch ${epoch}: ${reason}`);
  }
}

export class StakingError extends EconomyError {
  override readonly name = 'StakingError';
  constructor(
    readonly operator: string,
    readonly reason: 'not-staker' | 'exceeds-bonded' | 'nothing-to-withdraw' | 'already-slashed' | 'too-many-unbonding-entries',
  ) {
    super(`operator ${operator}: ${reason}`);
  }
}

export class InvalidEvidenceError extends EconomyError {
  override readonly name = 'InvalidEvidenceError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`equivocation evidence: ${field} ${problem}`);
  }
}

export class GovernanceError extends EconomyError {
  override readonly name = 'GovernanceError';
  constructor(
    readonly proposalId: string,
    readonly reason: string,
  ) {
    super(`proposal ${proposalId}: ${reason}`);
  }
}

export class TimeError extends EconomyError {
  override readonly name = 'TimeError';
  constructor(
    readonly now: number,
    readonly at: number,
  ) {
    super(`event at ${at} is before the current time ${now}`);
  }
}

export class InvalidAmountError extends EconomyError {
  override readonly name = 'InvalidAmountError';
  constructor(
    readonly field: string,
    readonly value: bigint,
  ) {
    super(`${field} must be positive, got ${value}`);
  }
}

export class WithdrawalError extends EconomyError {
  override readonly name = 'WithdrawalError';
  constructor(
    readonly requester: string,
    readonly reason: 'none-pending' | 'not-released',
  ) {
    super(`${requester}: withdrawal ${reason}`);
  }
}
