import { broadcastBinaryRef } from './broadcast.ts';
import type { HostTensor } from './types.ts';

/**
 * CPU a × b with NumPy broadcasting.
 *
 * @example
 * mulRef({ data: new Float32Array([1, 2]), shape: [2] }, { data: new Float32Array([3]), shape: [] }); // [3, 6]
 */
export function mulRef(a: HostTensor, b: HostTensor): HostTensor {
  return broadcastBinaryRef('mulRef', a, b, (x, y) => x * y);
}
