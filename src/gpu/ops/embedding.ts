import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { KERNELS } from '../kernels.ts';
import { WG, expectFits, expectRank, expectTensor, grid, produce, u32s } from './util.ts';

/**
 * Embedding lookup: table [V,D] (f32) gathered by ids (u32 or i32, any shape, including a
 * scalar) → [...ids.shape, D].
 *
 * An id outside [0, V) yields a row of zeros: ids come from outside (tokenizers, requests), and
 * a zero row is deterministic, visible and the same in every implementation and in the CPU
 * reference, where reading another row or trapping would not be. Validate ids upstream where
 * an unknown token must be an error.
 *
 * @throws ShapeError when table is not [V,D] f32 or ids is not u32/i32
 * @example
 * const ids = rt.upload(new Int32Array([3, 1, 4]), [3]);
 * const h = await embedding(rt, wte, ids); // [3, D]
 */
export async function embedding(rt: GpuRuntime, table: Tensor, ids: Tensor): Promise<Tensor> {
  const op = 'embedding';
  expectTensor(op, 'table', table);
  expectRank(op, 'table', table, [2]);
  expectTensor(op, 'ids', ids, ['u32', 'i32']);
  const [V, D] = table.shape as [number, number];
  const outShape = [...ids.shape, D];
  expectFits(rt, op, 'output', outShape);
  const y = rt.empty(outShape);
  if (y.size === 0) return y;
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.embedding,
      constants: { WG, SIGNED: ids.dtype === 'i32' },
      bindings: [table, ids, y],
      uniforms: u32s(y.size, D, V),
      workgroups: grid(rt, y.size),
    }),
  );
}
