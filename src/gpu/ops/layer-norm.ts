import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { norm } from './norm-common.ts';

export interface LayerNormOptions {
  /** Added to the variance before the square root. Default 1e-5 (PyTorch's default). */
  eps?: number;
}

/**
 * Layer normalisation over the last axis: (x − mean) / √(var + eps) · gamma + beta, with the
 * biased variance (divided by the row length, as PyTorch). Any rank ≥ 1, f32; gamma and beta
 * have shape [len]. The variance is a second pass over the centred row, so rows with a large
 * mean keep their precision.
 *
 * @throws ShapeError when gamma/beta do not match the last axis, or eps is negative
 * @example
 * const y = await layerNorm(rt, x, gamma, beta, { eps: 1e-5 }); // x [tokens, 768]
 */
export async function layerNorm(rt: GpuRuntime, x: Tensor, gamma: Tensor, beta: Tensor, opts: LayerNormOptions = {}): Promise<Tensor> {
  return norm(rt, 'layerNorm', x, gamma, beta, opts.eps ?? 1e-5);
}
