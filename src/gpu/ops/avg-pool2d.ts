import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { pool2d, type Pool2dOptions } from './pool-common.ts';

export type AvgPool2dOptions = Pool2dOptions;

/**
 * 2-D average pooling over NCHW input: x [N,C,H,W] → [N,C,OH,OW], sizes as in maxPool2d.
 * Padding is excluded from the average: a border window divides by the number of real
 * elements it covers (PyTorch's `count_include_pad=False`), so borders are not pulled toward 0.
 *
 * @throws ShapeError for a bad rank, dtype, kernel, stride or padding
 * @example
 * const y = await avgPool2d(rt, x, { kernel: 3, stride: 1, padding: 1 }); // same H, W
 */
export async function avgPool2d(rt: GpuRuntime, x: Tensor, opts: AvgPool2dOptions): Promise<Tensor> {
  return pool2d(rt, 'avgPool2d', x, opts, 1);
}
