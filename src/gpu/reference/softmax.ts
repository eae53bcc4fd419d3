import { rowsOf } from './rows.ts';
import { checkHost, type HostTensor } from './types.ts';

/**
 * CPU softmax over the last axis, max-subtracted, in f64.
 *
 * @example
 * softmaxRef({ data: new Float32Array([0, 0]), shape: [2] }); // [0.5, 0.5]
 */
export function softmaxRef(x: HostTensor): HostTensor {
  const op = 'softmaxRef';
  checkHost(op, 'x', x);
  const { rows, len } = rowsOf(op, x);
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let m = x.data[o]!;
    for (let i = 1; i < len; i++) m = Math.max(m, x.data[o + i]!);
    let s = 0;
    for (let i = 0; i < len; i++) s += Math.exp(x.data[o + i]! - m);
    for (let i = 0; i < len; i++) out[o + i] = Math.exp(x.data[o + i]! - m) / s;
  }
  return { data: out, shape: [...x.shape] };
}
