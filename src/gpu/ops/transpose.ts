import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { KERNELS } from '../kernels.ts';
import { MAX_RANK, collapse } from './binary-common.ts';
import { WG, expectFits, expectTensor, fmt, grid, pad8, produce, stridesOf, u32s } from './util.ts';

/** Checks that `perm` is a permutation of 0..rank-1. */
export function checkPerm(op: string, perm: unknown, rank: number): number[] {
  if (!Array.isArray(perm) || perm.length !== rank) {
    throw new ShapeError(`${op}: perm must list each of the ${rank} axes once, got ${JSON.stringify(perm)}`);
  }
  const seen = new Set<number>();
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= rank || seen.has(p)) {
      throw new ShapeError(`${op}: perm must be a permutation of 0..${rank - 1}, got ${JSON.stringify(perm)}`);
    }
    seen.add(p);
  }
  return perm as number[];
}

/**
 * Permutes axes: y.shape[i] = x.shape[perm[i]], any dtype, any rank (up to 6 after axes that
 * stay adjacent are merged). The identity permutation is a plain copy.
 *
 * @throws ShapeError when perm is not a permutation of the axes
 * @example
 * const yt = await transpose(rt, y, [0, 2, 1]); // [B, M, N] → [B, N, M]
 */
export async function transpose(rt: GpuRuntime, x: Tensor, perm: number[]): Promise<Tensor> {
  const op = 'transpose';
  expectTensor(op, 'x', x, ['f32', 'i32', 'u32']);
  checkPerm(op, perm, x.rank);
  const outShape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  // Collapsing in output order with the input strides merges axes that are adjacent in both.
  const c = collapse(outShape, [perm.map((p) => inStrides[p]!)]);
  if (c.shape.length > MAX_RANK) {
    throw new ShapeError(`${op}: ${fmt(x.shape)} by ${fmt(perm)} needs rank ${c.shape.length} after merging adjacent axes; at most ${MAX_RANK} is supported`);
  }
  expectFits(rt, op, 'output', outShape, x.dtype);
  const y = rt.empty(outShape, x.dtype);
  if (y.size === 0) return y;
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.transpose,
      constants: { WG },
      bindings: [x, y],
      uniforms: u32s(y.size, c.shape.length, 0, 0, ...pad8(c.shape), ...pad8(c.strides[0]!)),
      workgroups: grid(rt, y.size),
    }),
  );
}
