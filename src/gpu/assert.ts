/**
 * Tiny assertion helpers for trust boundaries. Messages name the field so a person reading
 * an error from a remote job or a bad file knows exactly which value was wrong.
 */
import { ShapeError } from './errors.ts';

/** Asserts a non-negative safe integer. */
export function assertNonNegativeInt(x: unknown, field: string): asserts x is number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new ShapeError(`${field} must be a non-negative integer, got ${String(x)}`);
  }
}

/** Asserts a positive safe integer. */
export function assertPositiveInt(x: unknown, field: string): asserts x is number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) {
    throw new ShapeError(`${field} must be a positive integer, got ${String(x)}`);
  }
}

/** Asserts a shape: an array of non-negative integers whose element count is a safe integer. */
export function assertShape(shape: unknown, field: string): asserts shape is number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${field} must be an array of integers`);
  let n = 1;
  shape.forEach((d, i) => {
    assertNonNegativeInt(d, `${field}[${i}]`);
    n *= d;
  });
  if (!Number.isSafeInteger(n)) throw new ShapeError(`${field} has too many elements (${n})`);
}
