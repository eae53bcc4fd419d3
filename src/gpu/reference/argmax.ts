import { rowsOf } from './rows.ts';
import { checkHost, type HostTensor } from './types.ts';

/**
 * CPU argmax over the last axis → Uint32Array; ties to the lowest index, NaN wins (first NaN),
 * as on the GPU and in NumPy.
 *
 * @example
 * argmaxRef({ data: new Float32Array([1, 3, 3]), shape: [3] }); // { data: [1], shape: [] }
 */
export function argmaxRef(x: HostTensor): HostTensor<Uint32Array> {
  const op = 'argmaxRef';
  checkHost(op, 'x', x);
  const { rows, len } = rowsOf(op, x);
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let best = 0;
    for (let i = 1; i < len; i++) {
      const v = x.data[o + i]!;
      const b = x.data[o + best]!;
      if (Number.isNaN(b)) break;
      if (Number.isNaN(v) || v > b) best = i;
    }
    out[r] = best;
  }
  return { data: out, shape: x.shape.slice(0, -1) };
}
