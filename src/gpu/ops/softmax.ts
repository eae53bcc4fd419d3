import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { KERNELS } from '../kernels.ts';
import { expectFits, expectTensor, grid, lastAxis, produce, rowWorkgroup, u32s } from './util.ts';

/**
 * Softmax over the last axis, any rank ≥ 1, f32. Numerically stable (the row max is subtracted
 * first), so logits of ±1e4 give exact 0s and 1s, never NaN. A row holding +inf, or only −inf,
 * gives NaN, as in PyTorch; −inf entries in an otherwise finite row give 0 (masking).
 *
 * @throws ShapeError for a scalar or a non-f32 tensor (an empty last axis gives an empty result)
 * @example
 * const p = await softmax(rt, logits); // logits [64, 10] → rows summing to 1
 */
export async function softmax(rt: GpuRuntime, x: Tensor): Promise<Tensor> {
  const op = 'softmax';
  expectTensor(op, 'x', x);
  const { rows, len } = lastAxis(op, x);
  expectFits(rt, op, 'output', x.shape);
  const y = rt.empty(x.shape);
  if (y.size === 0) return y;
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.softmax,
      constants: { WG: rowWorkgroup(rt, len) },
      bindings: [x, y],
      uniforms: u32s(rows, len),
      workgroups: grid(rt, rows, 1),
    }),
  );
}
