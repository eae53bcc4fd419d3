import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { unaryActivation } from './util.ts';

/**
 * Elementwise GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), any shape,
 * f32. This is the form GPT-2 and BERT were trained with; it differs from the erf form by up to
 * about 3e-4. The CPU reference (`geluRef`) uses the same formula.
 *
 * @example
 * const y = await gelu(rt, rt.upload(new Float32Array([1]), [1])); // ≈ [0.841192]
 */
export async function gelu(rt: GpuRuntime, x: Tensor): Promise<Tensor> {
  return unaryActivation(rt, 'gelu', x, 'gelu');
}
