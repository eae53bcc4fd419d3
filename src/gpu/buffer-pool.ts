import { LimitExceededError } from './errors.ts';

/** Counters a benchmark or the UI can show. */
export interface BufferPoolStats {
  /** Buffers created on the device since start. */
  created: number;
  /** Acquisitions served from the free lists. */
  reused: number;
  /** Bytes held by buffers handed out and not yet released. */
  bytesInUse: number;
  /** Bytes held by free buffers kept for reuse. */
  bytesFree: number;
}

export interface BufferPoolInit {
  /** Free bytes kept for reuse; releases beyond this destroy the buffer. Default 256 MiB. */
  maxFreeBytes?: number;
  /** The adapter's `maxBufferSize`; larger requests fail with a clear error. */
  maxBufferSize: number;
}

/**
 * Size classes: powers of two from 256 B up to 1 MiB, then quarter steps between powers of two.
 * Rounding up lets differently shaped tensors of similar size share buffers, and the quarter
 * steps cap the waste for big tensors at 25% instead of 100%.
 */
export function sizeClass(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  if (p <= 1 << 20) return p;
  const quarter = p / 8; // steps of p/8 between p/2 and p
  return Math.ceil(bytes / quarter) * quarter;
}

/**
 * A pool of GPU buffers with explicit release. Allocation on WebGPU is slow (and on some
 * drivers zero-fills), and a model's forward pass allocates the same intermediate sizes every
 * time, so reuse turns steady-state inference into zero allocations.
 *
 * @example
 * const pool = new BufferPool(device, { maxBufferSize: device.limits.maxBufferSize });
 * const b = pool.acquire(1024, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
 * pool.release(b);
 */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #maxFreeBytes: number;
  readonly #maxBufferSize: number;
  /** Free lists keyed by `${usage}:${size}`. */
  readonly #free = new Map<string, GPUBuffer[]>();
  /** Buffers handed out, so a foreign or double release is caught. */
  readonly #inUse = new Set<GPUBuffer>();
  readonly #stats: BufferPoolStats = { created: 0, reused: 0, bytesInUse: 0, bytesFree: 0 };

  constructor(device: GPUDevice, init: BufferPoolInit) {
    this.#device = device;
    this.#maxFreeBytes = init.maxFreeBytes ?? 256 * 1024 * 1024;
    this.#maxBufferSize = init.maxBufferSize;
  }

  get stats(): Readonly<BufferPoolStats> {
    return { ...this.#stats };
  }

  /** A buffer of at least `bytes` bytes with exactly `usage`. */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label?: string): GPUBuffer {
    if (bytes > this.#maxBufferSize) throw new LimitExceededError('maxBufferSize', bytes, this.#maxBufferSize, label ?? 'buffer');
    let finalSize = sizeClass(Math.max(4, bytes));
    // Near the limit, rounding up to a size class could exceed it: fall back to the exact size.
    if (finalSize > this.#maxBufferSize) finalSize = Math.ceil(bytes / 4) * 4;
    const key = `${usage}:${finalSize}`;
    const list = this.#free.get(key);
    let buffer = list?.pop();
    if (buffer) {
      this.#stats.reused++;
      this.#stats.bytesFree -= buffer.size;
    } else {
      buffer = this.#device.createBuffer({ size: finalSize, usage, label: label ?? `pool:${finalSize}` });
      this.#stats.created++;
    }
    this.#inUse.add(buffer);
    this.#stats.bytesInUse += buffer.size;
    return buffer;
  }

  /** Gives a buffer back. Releasing a buffer twice, or one the pool never gave out, throws. */
  release(buffer: GPUBuffer): void {
    if (!this.#inUse.delete(buffer)) throw new Error(`buffer '${buffer.label}' released twice or not from this pool`);
    this.#stats.bytesInUse -= buffer.size;
    if (this.#stats.bytesFree + buffer.size > this.#maxFreeBytes) {
      buffer.destroy();
      return;
    }
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, (list = []));
    list.push(buffer);
    this.#stats.bytesFree += buffer.size;
  }

  /** Destroys the free buffers (buffers still in use stay valid until released or the device goes). */
  trim(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.#stats.bytesFree = 0;
  }

  /** Destroys every buffer the pool knows, in use or free. */
  destroy(): void {
    this.trim();
    for (const b of this.#inUse) b.destroy();
    this.#inUse.clear();
    this.#stats.bytesInUse = 0;
  }
}
