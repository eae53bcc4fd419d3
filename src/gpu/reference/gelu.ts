import { geluScalar } from './activations.ts';
import type { HostTensor } from './types.ts';
import { mapRef } from './unary.ts';

/**
 * CPU GELU, tanh approximation (the formula of kernels/activation.wgsl), evaluated in f64.
 *
 * @example
 * geluRef({ data: new Float32Array([1]), shape: [1] }); // ≈ [0.841192]
 */
export function geluRef(x: HostTensor): HostTensor {
  return mapRef('geluRef', x, geluScalar);
}
