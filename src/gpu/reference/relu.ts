import { reluScalar } from './activations.ts';
import type { HostTensor } from './types.ts';
import { mapRef } from './unary.ts';

/**
 * CPU max(x, 0).
 *
 * @example
 * reluRef({ data: new Float32Array([-1, 2]), shape: [2] }); // [0, 2]
 */
export function reluRef(x: HostTensor): HostTensor {
  return mapRef('reluRef', x, reluScalar);
}
