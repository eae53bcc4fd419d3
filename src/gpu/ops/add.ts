import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { binary } from './binary-common.ts';

/**
 * Elementwise a + b with NumPy broadcasting (shapes right-aligned; each axis equal or 1), f32,
 * up to rank 6 after size-1 axes are dropped and contiguous axes merged.
 *
 * @throws ShapeError when the shapes cannot be broadcast (the message shows both and the axis)
 * @example
 * const y = await add(rt, x, bias); // x [64,16,14,14] + bias [1,16,1,1]
 */
export async function add(rt: GpuRuntime, a: Tensor, b: Tensor): Promise<Tensor> {
  return binary(rt, 'add', a, b, 0);
}
