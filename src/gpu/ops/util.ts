/**
 * Shared plumbing for the ops: argument checks that name the argument, limit checks made before
 * anything is allocated, and grid/uniform helpers. Not exported from the ops index.
 */
import { gridFor, type GpuRuntime } from '../runtime.ts';
import { DTYPE_BYTES, Tensor, sizeOf, type DType } from '../tensor.ts';
import { LimitExceededError, ReleasedTensorError, ShapeError } from '../errors.ts';
import { ACTIVATION_IDS, KERNELS, type Activation } from '../kernels.ts';

/** Default invocations per workgroup for one-element-per-invocation kernels. */
export const WG = 64;

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Checks that `t` is a live, contiguous tensor of one of `dtypes`. */
export function expectTensor(op: string, name: string, t: unknown, dtypes: readonly DType[] = ['f32']): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ShapeError(`${op}: ${name} must be a Tensor`);
  if (t.released) throw new ReleasedTensorError(`${op}: ${name} was used after release()`);
  if (!dtypes.includes(t.dtype)) throw new ShapeError(`${op}: ${name}.dtype must be ${dtypes.join(' or ')}, got ${t.dtype}`);
  // Kernels index buffers as dense row-major arrays; a strided view would be read wrongly.
  if (!t.isContiguous) throw new ShapeError(`${op}: ${name} must be contiguous`);
}

export function expectRank(op: string, name: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.rank)) {
    throw new ShapeError(`${op}: ${name} must have rank ${ranks.join(' or ')}, got ${fmt(t.shape)}`);
  }
}

export function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${op}: ${name}.shape must be ${fmt(shape)}, got ${fmt(t.shape)}`);
  }
}

/**
 * Refuses a tensor the adapter cannot bind, before anything is allocated: the caller learns
 * which op and which tensor, instead of a generic allocation failure.
 */
export function expectFits(rt: GpuRuntime, op: string, what: string, shape: readonly number[], dtype: DType = 'f32'): void {
  const bytes = sizeOf(shape) * DTYPE_BYTES[dtype];
  const L = rt.limits;
  if (bytes > L.maxStorageBufferBindingSize) {
    throw new LimitExceededError('maxStorageBufferBindingSize', bytes, L.maxStorageBufferBindingSize, `${op}: ${what} ${fmt(shape)}`);
  }
  if (bytes > L.maxBufferSize) throw new LimitExceededError('maxBufferSize', bytes, L.maxBufferSize, `${op}: ${what} ${fmt(shape)}`);
}

/** A positive integer or a pair of them, as [height, width]. */
export function pair(op: string, name: string, v: unknown, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isSafeInteger(x) && (x as number) >= min)) {
    throw new ShapeError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0] as number, p[1] as number];
}

export function activationId(op: string, activation: unknown, allowed: readonly Activation[]): number {
  const a = (activation ?? 'none') as Activation;
  if (!allowed.includes(a)) throw new RangeError(`${op}: activation must be one of ${allowed.join(', ')}, got ${String(activation)}`);
  return ACTIVATION_IDS[a];
}

/** Workgroup counts for `n` items at `perWorkgroup` each, folded into 2-D past the adapter's limit. */
export function grid(rt: GpuRuntime, n: number, perWorkgroup = WG): [number, number, number] {
  return gridFor(n, perWorkgroup, rt.limits.maxComputeWorkgroupsPerDimension);
}

/** A uniform block of u32 fields, padded to 16 bytes as WGSL lays out uniform structs. */
export function u32s(...values: number[]): Uint32Array {
  const u = new Uint32Array(Math.ceil(values.length / 4) * 4);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uniform field ${i} = ${v} does not fit a u32`);
    u[i] = v;
  });
  return u;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Packs up to 6 values into the `array<vec4u, 2>` uniform fields the rank-6 kernels read. */
export function pad8(values: readonly number[]): number[] {
  const out = new Array<number>(8).fill(0);
  values.forEach((v, i) => (out[i] = v));
  return out;
}

/** One output element per invocation: the unary activation kernel, shared by relu/gelu/silu. */
export async function unaryActivation(rt: GpuRuntime, op: string, x: Tensor, act: Activation): Promise<Tensor> {
  expectTensor(op, 'x', x);
  expectFits(rt, op, 'output', x.shape);
  const y = rt.empty(x.shape);
  if (y.size === 0) return y;
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.unary,
      constants: { WG, ACT: ACTIVATION_IDS[act] },
      bindings: [x, y],
      uniforms: u32s(x.size),
      workgroups: grid(rt, x.size),
    }),
  );
}

/**
 * Runs the work that fills `out` and returns it; if the work throws (a limit, a compile error,
 * a lost device), `out` goes back to the pool instead of leaking.
 */
export async function produce<T extends Tensor>(out: T, work: () => Promise<void>, temps: Tensor[] = []): Promise<T> {
  try {
    await work();
    return out;
  } catch (e) {
    if (!out.released) out.release();
    throw e;
  } finally {
    for (const t of temps) if (!t.released) t.release();
  }
}

/**
 * Workgroup size for one-workgroup-per-row kernels (softmax, norms, argmax): a power of two
 * (the tree reductions halve it) near the row length, so short rows do not pay for idle
 * invocations at every barrier and long rows get 256 invocations.
 */
export function rowWorkgroup(rt: GpuRuntime, len: number): number {
  const wg = len <= 32 ? 32 : len <= 64 ? 64 : len <= 128 ? 128 : 256;
  // Compatibility-mode devices may allow only 128 invocations per workgroup.
  return Math.min(wg, rt.limits.maxComputeInvocationsPerWorkgroup >= 256 ? 256 : 128);
}

/**
 * Rows of a last-axis op: x viewed as [rows, len]. A scalar has no last axis; an empty last
 * axis gives 0 rows (ops that must answer per row, like argmax, refuse that themselves).
 */
export function lastAxis(op: string, x: Tensor): { rows: number; len: number } {
  if (x.rank < 1) throw new ShapeError(`${op}: x must have rank >= 1, got a scalar`);
  const len = x.shape[x.rank - 1]!;
  return { rows: len === 0 ? 0 : x.size / len, len };
}
