/**
 * The acceptance rules, as pure synchronous decisions a store runs inside its transaction
 * (RECEIPTS.md "Rules", applied the way the contract applies them):
 *
 * 1. the same receipt again (same digest) is a no-op: `duplicate`;
 * 2. `cumulativeAmount` must be above the pair's stored receipt, else `ReplayError` (an older
 *    receipt of the pair arriving late is refused: the stored one already pays everything it paid);
 * 3. a receipt exactly equal to what the chain settled for the pair (amount and work) is kept as
 *    history (`settled`, nothing pending) so every tab converges on the same set and inclusion
 *    proofs can name it; anything else at or below the settled amount is `ReplayError`;
 * 4. `cumulativeWork >= settledWork` (`WorkBelowSettledError`), and the price of the delta over the
 *    settled values within bounds (`PriceOutOfBoundsError`), as the contract checks at settlement;
 * 5. `amountDelta <= escrow - Σ pending deltas of the requester's other pairs`
 *    (`EscrowExceededError`): what the contract would refuse once the others settle.
 *
 * Rules 2–4 compare against stored/settled values only, never against the arrival order of other
 * pairs, so any order of the same receipts ends with the same latest receipt per pair. Rule 5 is
 * the one order-dependent rule, and only for a requester that signs beyond its escrow (which
 * `Ledger.issue` never does): then whichever receipts arrive first are kept, as on-chain.
 */
import type { Hex } from 'viem';
import { EscrowExceededError, ReplayError } from './errors.ts';
import type { ReceiptTxContext, StoredReceipt } from './store.ts';
import { checkAgainstSettled, type PriceBounds } from './verify-receipt.ts';

export type AcceptStatus = 'stored' | 'duplicate' | 'settled';

export interface AcceptResult {
  status: AcceptStatus;
  digest: Hex;
  /** What this receipt adds to the worker's pending balance (0 for duplicate/settled). */
  added: bigint;
  /** The pair's pending amount after it (cumulativeAmount − settled). */
  pending: bigint;
}

/** Σ max(0, cumulative − settled) over the requester's pairs other than `skip`. */
export function pendingOfOthers(ctx: ReceiptTxContext, skip: StoredReceipt): bigint {
  let sum = 0n;
  for (const p of ctx.requesterPairs) {
    if (p.receipt.worker === skip.worker) continue;
    const d = p.receipt.cumulativeAmount - p.settled.amount;
    if (d > 0n) sum += d;
  }
  return sum;
}

export function decideAccept(r: StoredReceipt, ctx: ReceiptTxContext, priceBounds: PriceBounds | undefined): { write?: StoredReceipt; value: AcceptResult } {
  const { existing, settled } = ctx;
  if (existing && existing.digest === r.digest) {
    const pending = existing.cumulativeAmount > settled.amount ? existing.cumulativeAmount - settled.amount : 0n;
    return { value: { status: 'duplicate', digest: r.digest, added: 0n, pending } };
  }
  if (existing && r.cumulativeAmount <= existing.cumulativeAmount)
    throw new ReplayError('receipt.cumulativeAmount', `${r.cumulativeAmount} is not above the pair's stored ${existing.cumulativeAmount}`);
  if (r.cumulativeAmount === settled.amount && r.cumulativeWork === settled.work) return { write: r, value: { status: 'settled', digest: r.digest, added: 0n, pending: 0n } };
  checkAgainstSettled(r, settled, priceBounds);
  const delta = r.cumulativeAmount - settled.amount;
  const others = pendingOfOthers(ctx, r);
  if (delta + others > ctx.escrow) {
    const room = ctx.escrow > others ? ctx.escrow - others : 0n;
    throw new EscrowExceededError('receipt.cumulativeAmount', `delta ${delta} wei is above the requester's escrow ${ctx.escrow} minus its other pending ${others} (room ${room})`);
  }
  const before = existing && existing.cumulativeAmount > settled.amount ? existing.cumulativeAmount - settled.amount : 0n;
  return { write: r, value: { status: 'stored', digest: r.digest, added: delta - before, pending: delta } };
}
