/**
 * Host-side tensors for the CPU references: a typed array plus its row-major shape. Pure
 * TypeScript with no GPU, Node or Vite dependency, so the same code checks kernels in Node, in
 * the browser harness, and builds the digits model's CPU reference.
 */
import { ShapeError } from '../errors.ts';

export type HostData = Float32Array | Int32Array | Uint32Array;

export interface HostTensor<T extends HostData = Float32Array> {
  data: T;
  shape: readonly number[];
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Checks that data and shape agree; references trust nothing they are handed. */
export function checkHost(op: string, name: string, t: HostTensor<HostData>): void {
  if (!t || !ArrayBuffer.isView(t.data) || !Array.isArray(t.shape)) throw new ShapeError(`${op}: ${name} must be { data, shape }`);
  for (const d of t.shape) if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(`${op}: ${name}.shape ${fmtShape(t.shape)} must hold non-negative integers`);
  const n = sizeOfShape(t.shape);
  if (t.data.length !== n) throw new ShapeError(`${op}: ${name} has ${t.data.length} elements but shape ${fmtShape(t.shape)} needs ${n}`);
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** A positive integer or a pair of them, as [height, width]. */
export function pairOf(op: string, name: string, v: unknown, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isSafeInteger(x) && (x as number) >= min)) {
    throw new ShapeError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0] as number, p[1] as number];
}

export type RefActivation = 'none' | 'relu' | 'gelu' | 'silu';
