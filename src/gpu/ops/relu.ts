import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { unaryActivation } from './util.ts';

/**
 * Elementwise max(x, 0), any shape, f32. (Prefer the fused `activation: 'relu'` of matmul and
 * conv2d after those ops: it saves a pass over memory.)
 *
 * @example
 * const y = await relu(rt, rt.upload(new Float32Array([-1, 2]), [2])); // [0, 2]
 */
export async function relu(rt: GpuRuntime, x: Tensor): Promise<Tensor> {
  return unaryActivation(rt, 'relu', x, 'relu');
}
