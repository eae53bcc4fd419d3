import { ShapeError } from '../errors.ts';
import { fmtShape, type HostData, type HostTensor } from './types.ts';

/** Rows of a last-axis op: the last axis must exist and be non-empty (unless x is empty). */
export function rowsOf(op: string, x: HostTensor<HostData>): { rows: number; len: number } {
  if (x.shape.length < 1) throw new ShapeError(`${op}: x must have rank >= 1, got a scalar`);
  const len = x.shape[x.shape.length - 1]!;
  if (len < 1 && x.data.length > 0) throw new ShapeError(`${op}: the last axis of x ${fmtShape(x.shape)} must not be empty`);
  return { rows: len === 0 ? 0 : x.data.length / len, len };
}
