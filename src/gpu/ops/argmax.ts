import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { KERNELS } from '../kernels.ts';
import { expectFits, expectTensor, grid, lastAxis, produce, rowWorkgroup, u32s } from './util.ts';

/**
 * Index of the largest element along the last axis: x [..., L] (f32) → u32 [...] (a scalar
 * tensor of shape [] for a 1-D x). Ties go to the lowest index. NaN counts as larger than any
 * number, so a row with NaN returns its first NaN (as NumPy does): a corrupted logit shows up in
 * the answer rather than being skipped.
 *
 * @throws ShapeError for a scalar, a non-f32 tensor, or an empty last axis
 * @example
 * const cls = await argmax(rt, logits); // logits [64, 10] → u32 [64]
 */
export async function argmax(rt: GpuRuntime, x: Tensor): Promise<Tensor> {
  const op = 'argmax';
  expectTensor(op, 'x', x);
  const { rows, len } = lastAxis(op, x);
  const outShape = x.shape.slice(0, -1);
  // Unlike softmax of an empty row (an empty result), argmax of one has no answer to write.
  if (len === 0 && outShape.every((d) => d > 0)) throw new ShapeError(`${op}: the last axis of x [${x.shape.join(',')}] must not be empty`);
  expectFits(rt, op, 'output', outShape, 'u32');
  const y = rt.empty(outShape, 'u32');
  if (rows === 0) return y;
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.argmax,
      constants: { WG: rowWorkgroup(rt, len) },
      bindings: [x, y],
      uniforms: u32s(rows, len),
      workgroups: grid(rt, rows, 1),
    }),
  );
}
