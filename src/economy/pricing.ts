/**
 * Price bounds of a receipt (RULES.md, Fees and burn): the requester sets its price per unit of
 * work, but a settled delta must satisfy `workDelta * minPricePerWork <= amountDelta <= workDelta * maxPricePerWork`.
 *
 * @example
 * checkPrice({ amountDelta: 5n * 10n ** 15n, workDelta: 2n }, DEFAULT_PARAMS); // ok: 0.0025 MESH/work
 * checkPrice({ amountDelta: 1n, workDelta: 2n }, DEFAULT_PARAMS, 3);          // throws PriceOutOfBoundsError (index 3)
 */
import { PriceOutOfBoundsError } from './errors.ts';

export interface PriceBounds {
  minPricePerWork: bigint;
  maxPricePerWork: bigint;
}

export interface PricedDelta {
  amountDelta: bigint;
  workDelta: bigint;
}

/** True when the delta's implied price is within the bounds. */
export function priceWithinBounds(d: PricedDelta, p: PriceBounds): boolean {
  return d.workDelta * p.minPricePerWork <= d.amountDelta && d.amountDelta <= d.workDelta * p.maxPricePerWork;
}

/** Throws PriceOutOfBoundsError(index) when the delta is outside the bounds. */
export function checkPrice(d: PricedDelta, p: PriceBounds, index = 0): void {
  if (!priceWithinBounds(d, p)) throw new PriceOutOfBoundsError(index, d.amountDelta, d.workDelta);
}
