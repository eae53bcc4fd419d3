import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { norm } from './norm-common.ts';

export interface RmsNormOptions {
  /** Added to the mean square before the square root. Default 1e-6 (LLaMA's). */
  eps?: number;
}

/**
 * RMS normalisation over the last axis: x / √(mean(x²) + eps) · gamma. Any rank ≥ 1, f32;
 * gamma has shape [len].
 *
 * @throws ShapeError when gamma does not match the last axis, or eps is negative
 * @example
 * const y = await rmsNorm(rt, x, gamma); // x [tokens, 4096]
 */
export async function rmsNorm(rt: GpuRuntime, x: Tensor, gamma: Tensor, opts: RmsNormOptions = {}): Promise<Tensor> {
  return norm(rt, 'rmsNorm', x, gamma, null, opts.eps ?? 1e-6);
}
