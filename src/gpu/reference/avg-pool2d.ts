import { pool2dRef, type Pool2dRefOptions } from './pool2d.ts';
import type { HostTensor } from './types.ts';

/**
 * CPU 2-D average pooling, NCHW; padding is excluded from the count (count_include_pad=False).
 *
 * @example
 * avgPool2dRef(x, { kernel: 3, stride: 1, padding: 1 });
 */
export function avgPool2dRef(x: HostTensor, opts: Pool2dRefOptions): HostTensor {
  return pool2dRef('avgPool2dRef', x, opts, 'avg');
}
