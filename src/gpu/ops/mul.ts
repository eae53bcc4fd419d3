import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { binary } from './binary-common.ts';

/**
 * Elementwise a × b with NumPy broadcasting (shapes right-aligned; each axis equal or 1), f32,
 * up to rank 6 after size-1 axes are dropped and contiguous axes merged.
 *
 * @throws ShapeError when the shapes cannot be broadcast (the message shows both and the axis)
 * @example
 * const y = await mul(rt, x, scale); // x [8,512] × scale [512]
 */
export async function mul(rt: GpuRuntime, a: Tensor, b: Tensor): Promise<Tensor> {
  return binary(rt, 'mul', a, b, 1);
}
