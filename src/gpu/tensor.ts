import { assertShape } from './assert.ts';
import { ReleasedTensorError, ShapeError } from './errors.ts';

/** Element types the kernels read and write. Weights in f16/bf16 are widened to f32 on load. */
export type DType = 'f32' | 'i32' | 'u32';

/** Bytes per element; every supported dtype is 4 bytes, which keeps WGSL indexing uniform. */
export const DTYPE_BYTES: Record<DType, number> = { f32: 4, i32: 4, u32: 4 };

/** Typed array matching a dtype. */
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;

/** Row-major (C order) strides of a shape, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Number of elements in a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A GPU tensor: a storage buffer plus shape, dtype and strides. Tensors produced by the runtime
 * are contiguous; `strides` is kept so a view (transpose, broadcast) can be described without a
 * copy and so kernels can assert what they are given.
 *
 * Buffers come from a pool and go back with {@link Tensor.release}: GPU memory is not garbage
 * collected in any useful time, so ownership is explicit.
 *
 * @example
 * const x = rt.upload(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * const y = relu(rt, x);
 * console.log(await rt.read(y)); // Float32Array [1, 2, 3, 4]
 * x.release(); y.release();
 */
export class Tensor<D extends DType = DType> {
  readonly shape: readonly number[];
  readonly dtype: D;
  readonly strides: readonly number[];
  readonly size: number;
  #buffer: GPUBuffer | null;
  readonly #onRelease: (buffer: GPUBuffer) => void;

  constructor(buffer: GPUBuffer, shape: readonly number[], dtype: D, onRelease: (buffer: GPUBuffer) => void, strides?: readonly number[]) {
    assertShape(shape, 'tensor.shape');
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.size = sizeOf(shape);
    this.#buffer = buffer;
    this.#onRelease = onRelease;
  }

  /** Bytes of data this tensor spans (its buffer may be larger: pool buckets round up). */
  get byteLength(): number {
    return this.size * DTYPE_BYTES[this.dtype];
  }

  get rank(): number {
    return this.shape.length;
  }

  get isContiguous(): boolean {
    const c = contiguousStrides(this.shape);
    return c.every((s, i) => this.shape[i] === 1 || s === this.strides[i]);
  }

  get released(): boolean {
    return this.#buffer === null;
  }

  /** The underlying buffer; throws once released, so a use-after-free is loud, not silent garbage. */
  get buffer(): GPUBuffer {
    if (this.#buffer === null) throw new ReleasedTensorError(`tensor [${this.shape.join(',')}] ${this.dtype} was used after release()`);
    return this.#buffer;
  }

  /**
   * The same data under another shape of equal size. Ownership of the buffer moves to the new
   * tensor and this one counts as released: two owners of one pooled buffer would return it twice.
   */
  reshape(shape: readonly number[]): Tensor<D> {
    assertShape(shape, 'reshape.shape');
    if (sizeOf(shape) !== this.size) throw new ShapeError(`reshape: [${this.shape.join(',')}] has ${this.size} elements, [${shape.join(',')}] has ${sizeOf(shape)}`);
    if (!this.isContiguous) throw new ShapeError('reshape needs a contiguous tensor');
    const b = this.buffer;
    this.#buffer = null;
    return new Tensor(b, shape, this.dtype, this.#onRelease);
  }

  /** Returns the buffer to the pool. Releasing twice throws. */
  release(): void {
    const b = this.buffer;
    this.#buffer = null;
    this.#onRelease(b);
  }

  toString(): string {
    return `Tensor<${this.dtype}>[${this.shape.join(',')}]`;
  }
}
