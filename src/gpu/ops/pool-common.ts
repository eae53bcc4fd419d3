import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { KERNELS } from '../kernels.ts';
import { WG, expectFits, expectRank, expectTensor, grid, pair, produce, u32s } from './util.ts';

/** Outputs per invocation along a row (SEG in kernels/pool2d.wgsl). */
const SEGMENT = 16;

/** Window options shared by maxPool2d and avgPool2d. */
export interface Pool2dOptions {
  /** Window size, one number for both axes or [height, width]. */
  kernel: number | [number, number];
  /** Step between windows. Default: the kernel size (non-overlapping windows). */
  stride?: number | [number, number];
  /** Implicit padding on each side, at most half the kernel per axis. Default 0. */
  padding?: number | [number, number];
}

export interface Pool2dGeometry {
  N: number; C: number; H: number; W: number;
  KH: number; KW: number; SH: number; SW: number; PH: number; PW: number;
  OH: number; OW: number;
}

/** Validates pooling arguments and derives the output size; shared with the CPU references. */
export function pool2dGeometry(op: string, xShape: readonly number[], opts: Pool2dOptions): Pool2dGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: x must have rank 4 [N,C,H,W], got [${xShape.join(',')}]`);
  if (!opts || typeof opts !== 'object') throw new ShapeError(`${op}: options with a kernel size are required`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [KH, KW] = pair(op, 'kernel', opts.kernel, 1);
  const [SH, SW] = pair(op, 'stride', opts.stride ?? opts.kernel, 1);
  const [PH, PW] = pair(op, 'padding', opts.padding ?? 0, 0);
  // The PyTorch rule: it guarantees every window holds at least one real element, so a max is
  // always defined and an average never divides by zero.
  if (2 * PH > KH || 2 * PW > KW) {
    throw new ShapeError(`${op}: padding (${PH},${PW}) must be at most half the kernel (${KH},${KW})`);
  }
  if (H + 2 * PH < KH || W + 2 * PW < KW) {
    throw new ShapeError(`${op}: kernel ${KH}x${KW} does not fit the padded input ${H + 2 * PH}x${W + 2 * PW}`);
  }
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  return { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW };
}

/** Shared body of maxPool2d (mode 0) and avgPool2d (mode 1). */
export async function pool2d(rt: GpuRuntime, op: string, x: Tensor, opts: Pool2dOptions, mode: 0 | 1): Promise<Tensor> {
  expectTensor(op, 'x', x);
  expectRank(op, 'x', x, [4]);
  const g = pool2dGeometry(op, x.shape, opts);
  const outShape = [g.N, g.C, g.OH, g.OW];
  expectFits(rt, op, 'output', outShape);
  const y = rt.empty(outShape);
  if (y.size === 0) return y;
  // The kernel writes SEGMENT consecutive outputs of a row per invocation.
  const segments = g.N * g.C * g.OH * Math.ceil(g.OW / SEGMENT);
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.pool2d,
      constants: { WG, MODE: mode },
      bindings: [x, y],
      uniforms: u32s(g.N * g.C, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, segments),
      workgroups: grid(rt, segments),
    }),
  );
}
