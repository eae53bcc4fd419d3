import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { pool2d, type Pool2dOptions } from './pool-common.ts';

export type MaxPool2dOptions = Pool2dOptions;

/**
 * 2-D max pooling over NCHW input: x [N,C,H,W] → [N,C,OH,OW] with
 * OH = floor((H + 2·padH − kernelH) / strideH) + 1. Padding is ignored (as if −inf), and must be
 * at most half the kernel so every window has a real element. Results are exact (a max involves
 * no rounding); NaN inputs have no defined result.
 *
 * @throws ShapeError for a bad rank, dtype, kernel, stride or padding
 * @example
 * const y = await maxPool2d(rt, x, { kernel: 2 }); // stride defaults to the kernel: [N,C,H/2,W/2]
 */
export async function maxPool2d(rt: GpuRuntime, x: Tensor, opts: MaxPool2dOptions): Promise<Tensor> {
  return pool2d(rt, 'maxPool2d', x, opts, 0);
}
