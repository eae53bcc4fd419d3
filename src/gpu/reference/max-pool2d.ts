import { pool2dRef, type Pool2dRefOptions } from './pool2d.ts';
import type { HostTensor } from './types.ts';

/**
 * CPU 2-D max pooling, NCHW; padding is ignored (as −inf) and at most half the kernel.
 *
 * @example
 * maxPool2dRef(x, { kernel: 2 }); // [N,C,H,W] → [N,C,H/2,W/2]
 */
export function maxPool2dRef(x: HostTensor, opts: Pool2dRefOptions): HostTensor {
  return pool2dRef('maxPool2dRef', x, opts, 'max');
}
