import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { KERNELS } from '../kernels.ts';
import { WG, expectFits, expectTensor, fmt, grid, pad8, produce, stridesOf, u32s } from './util.ts';

/** Highest rank the broadcasting kernel takes after collapsing axes. */
export const MAX_RANK = 6;

/** NumPy broadcasting of two shapes: right-aligned, each axis equal or 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: a ${fmt(a)} and b ${fmt(b)} cannot be broadcast (axis ${i - rank}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` seen through the broadcast output shape `out`: 0 on broadcast axes. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const lead = out.length - shape.length;
  const own = stridesOf(shape);
  return out.map((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? 0 : own[i - lead]!));
}

/**
 * Drops size-1 axes and merges neighbours that are contiguous in every operand, so the kernel
 * decomposes as few coordinates as possible: [64,16,14,14] + [1,16,1,1] becomes [64,16,196]
 * with b strides [0,1,0].
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((d, i) => i).filter((i) => shape[i] !== 1);
  const s: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (const i of keep) {
    const k = s.length - 1;
    if (k >= 0 && strides.every((str, j) => st[j]![k] === str[i]! * shape[i]!)) {
      s[k] = s[k]! * shape[i]!;
      strides.forEach((str, j) => (st[j]![k] = str[i]!));
    } else {
      s.push(shape[i]!);
      strides.forEach((str, j) => st[j]!.push(str[i]!));
    }
  }
  return { shape: s, strides: st };
}

/** Shared body of add (OP 0) and mul (OP 1). */
export async function binary(rt: GpuRuntime, op: string, a: Tensor, b: Tensor, code: 0 | 1): Promise<Tensor> {
  expectTensor(op, 'a', a);
  expectTensor(op, 'b', b);
  const outShape = broadcastShapes(op, a.shape, b.shape);
  const c = collapse(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
  if (c.shape.length > MAX_RANK) {
    throw new ShapeError(`${op}: broadcasting ${fmt(a.shape)} with ${fmt(b.shape)} needs rank ${c.shape.length} after collapsing axes; at most ${MAX_RANK} is supported`);
  }
  expectFits(rt, op, 'output', outShape);
  const y = rt.empty(outShape);
  if (y.size === 0) return y;
  const same = a.size === y.size && b.size === y.size;
  const [sa, sb] = c.strides as [number[], number[]];
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.binary,
      constants: { WG, OP: code, SAME: same },
      bindings: [a, b, y],
      uniforms: u32s(y.size, c.shape.length, 0, 0, ...pad8(c.shape), ...pad8(sa), ...pad8(sb)),
      workgroups: grid(rt, y.size),
    }),
  );
}
