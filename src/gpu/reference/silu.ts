import { siluScalar } from './activations.ts';
import type { HostTensor } from './types.ts';
import { mapRef } from './unary.ts';

/**
 * CPU SiLU, x / (1 + e^−x), evaluated in f64.
 *
 * @example
 * siluRef({ data: new Float32Array([1]), shape: [1] }); // ≈ [0.731059]
 */
export function siluRef(x: HostTensor): HostTensor {
  return mapRef('siluRef', x, siluScalar);
}
