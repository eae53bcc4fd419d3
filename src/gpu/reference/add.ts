import { broadcastBinaryRef } from './broadcast.ts';
import type { HostTensor } from './types.ts';

/**
 * CPU a + b with NumPy broadcasting (f32 result of an f32 sum: exact to one rounding).
 *
 * @example
 * addRef({ data: new Float32Array([1, 2]), shape: [2] }, { data: new Float32Array([10]), shape: [1] }); // [11, 12]
 */
export function addRef(a: HostTensor, b: HostTensor): HostTensor {
  return broadcastBinaryRef('addRef', a, b, (x, y) => x + y);
}
