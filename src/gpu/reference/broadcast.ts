import { ShapeError } from '../errors.ts';
import { checkHost, fmtShape, rowMajorStrides, sizeOfShape, type HostTensor } from './types.ts';

/**
 * Elementwise binary op with NumPy broadcasting, written the slow obvious way (full coordinate
 * decomposition per element) so it shares no shortcut with the GPU op's axis collapsing.
 */
export function broadcastBinaryRef(op: string, a: HostTensor, b: HostTensor, f: (x: number, y: number) => number): HostTensor {
  checkHost(op, 'a', a);
  checkHost(op, 'b', b);
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const out = pa.map((da, i) => {
    const db = pb[i]!;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`${op}: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} cannot be broadcast (axis ${i - rank}: ${da} vs ${db})`);
    return da === 1 ? db : da;
  });
  const sa = rowMajorStrides(pa);
  const sb = rowMajorStrides(pb);
  const n = sizeOfShape(out);
  const data = new Float32Array(n);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      if (pa[d] !== 1) ia += coord[d]! * sa[d]!;
      if (pb[d] !== 1) ib += coord[d]! * sb[d]!;
    }
    data[i] = f(a.data[ia]!, b.data[ib]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < out[d]!) break;
      coord[d] = 0;
    }
  }
  return { data, shape: out };
}
