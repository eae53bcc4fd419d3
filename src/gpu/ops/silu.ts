import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { unaryActivation } from './util.ts';

/**
 * Elementwise SiLU (swish): x·sigmoid(x) = x / (1 + e^−x), any shape, f32.
 *
 * @example
 * const y = await silu(rt, rt.upload(new Float32Array([0, 1]), [2])); // ≈ [0, 0.731059]
 */
export async function silu(rt: GpuRuntime, x: Tensor): Promise<Tensor> {
  return unaryActivation(rt, 'silu', x, 'silu');
}
