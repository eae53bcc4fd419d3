/**
 * The fee split of every settled receipt (RULES.md, Fees and burn).
 *
 * @example
 * splitFee(1_000n, { burnBps: 2_000n, treasuryBps: 500n }); // { burn: 200n, treasury: 50n, worker: 750n }
 */
import { BPS } from './params.ts';

export interface FeeSplitParams {
  burnBps: bigint;
  treasuryBps: bigint;
}

export interface FeeSplit {
  /** Destroyed: totalSupply falls by it. */
  burn: bigint;
  /** Transferred to the treasury address. */
  treasury: bigint;
  /** Transferred to `receipt.worker`: `amountDelta - burn - treasury` (gets the rounding dust). */
  worker: bigint;
}

/** `burn = a * burnBps / 10000; treasury = a * treasuryBps / 10000; worker = a - burn - treasury`. */
export function splitFee(amountDelta: bigint, p: FeeSplitParams): FeeSplit {
  if (amountDelta < 0n) throw new RangeError(`amountDelta must be non-negative, got ${amountDelta}`);
  const burn = (amountDelta * p.burnBps) / BPS;
  const treasury = (amountDelta * p.treasuryBps) / BPS;
  return { burn, treasury, worker: amountDelta - burn - treasury };
}
