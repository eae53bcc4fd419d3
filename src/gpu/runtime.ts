import { acquireDevice, type AcquireDeviceOptions, type AcquiredDevice, type AdapterReport } from './device.ts';
import { BufferPool, type BufferPoolStats } from './buffer-pool.ts';
import { PipelineCache, type Kernel, type Specialisation } from './pipeline-cache.ts';
import { DTYPE_BYTES, Tensor, sizeOf, type DType, type TypedArrayFor } from './tensor.ts';
import { DeviceLostError, GpuValidationError, LimitExceededError, RuntimeNotStartedError, ShapeError } from './errors.ts';
import { assertShape } from './assert.ts';

export interface GpuRuntimeInit extends AcquireDeviceOptions {
  /** Use an already opened device instead of acquiring one (tests share one Dawn device). */
  acquired?: AcquiredDevice;
  /** Free bytes the buffer pool keeps for reuse. */
  maxFreeBytes?: number;
}

/** One kernel launch. */
export interface DispatchArgs {
  kernel: Kernel;
  constants?: Specialisation;
  /**
   * Storage buffers in binding order, `@group(0) @binding(0)` first. The output tensor(s) are
   * ordinary entries; the kernel's WGSL says which are `read` and which `read_write`.
   */
  bindings: readonly Tensor[];
  /** A uniform block, bound at `@binding(bindings.length)`. Pack it as WGSL lays it out. */
  uniforms?: ArrayBufferView;
  /** Workgroup counts; each must be ≤ maxComputeWorkgroupsPerDimension (use {@link gridFor}). */
  workgroups: readonly [number, number?, number?];
}

type Typed = Float32Array | Int32Array | Uint32Array;

const STORAGE = 0x80; // GPUBufferUsage.STORAGE; the constants object does not exist in every context (Node before globals are installed)
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const MAP_READ = 0x01;
const MAP_MODE_READ = 0x01;

/**
 * The WebGPU runtime one compute worker owns: a device, a buffer pool, a pipeline cache, and a
 * command encoder that batches kernel launches until a result is read.
 *
 * Batching matters: a forward pass launches a dozen kernels, and one submit per kernel costs
 * more than the kernels themselves on small inputs.
 *
 * @example
 * const rt = new GpuRuntime();
 * await rt.start();
 * const x = rt.upload(new Float32Array([-1, 2]), [2]);
 * const y = await relu(rt, x);
 * console.log(await rt.read(y)); // Float32Array [0, 2]
 * await rt.stop();
 */
export class GpuRuntime extends EventTarget {
  readonly #init: GpuRuntimeInit;
  #acq: AcquiredDevice | null = null;
  #pool: BufferPool | null = null;
  #pipelines: PipelineCache | null = null;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** Buffers to return to the pool once the pending commands are submitted (see release()). */
  #afterSubmit: GPUBuffer[] = [];
  #errors: string[] = [];
  #lost: DeviceLostError | null = null;
  #starting: Promise<void> | null = null;
  /** Variant choices per op family made by the autotuner, e.g. matmul → 'reg4x4'. */
  readonly tuning = new Map<string, string>();

  constructor(init: GpuRuntimeInit = {}) {
    super();
    this.#init = init;
  }

  /**
   * Opens the device. Safe to call again after a device loss: it opens a fresh one. Concurrent
   * calls share one attempt, so a loss handler and a retrying unit cannot open two devices.
   */
  start(): Promise<void> {
    if (this.#acq && !this.#lost) return Promise.resolve();
    this.#starting ??= this.#open().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #open(): Promise<void> {
    const acq = this.#lost || !this.#init.acquired ? await acquireDevice(this.#init) : this.#init.acquired;
    this.#acq = acq;
    this.#lost = null;
    this.#errors = [];
    this.#encoder = null;
    this.#pass = null;
    this.#afterSubmit = [];
    // Tuning survives a device loss: the adapter is almost always the same one.
    const device = acq.device;
    this.#pool = new BufferPool(device, { maxBufferSize: device.limits.maxBufferSize, ...(this.#init.maxFreeBytes ? { maxFreeBytes: this.#init.maxFreeBytes } : {}) });
    this.#pipelines = new PipelineCache(device);
    device.addEventListener('uncapturederror', (ev) => {
      this.#errors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
    void device.lost.then((info) => {
      if (this.#acq?.device !== device) return;
      // Our own stop() clears #acq first, so any loss that reaches here was not asked for, even
      // one with reason 'destroyed' (another owner of the device, or a test, destroyed it).
      this.#lost = new DeviceLostError(info.reason ?? 'unknown', `GPU device lost (${info.reason}): ${info.message}`);
      this.dispatchEvent(new CustomEvent('devicelost', { detail: this.#lost }));
    });
  }

  /** Destroys every buffer and the device. */
  async stop(): Promise<void> {
    const acq = this.#acq;
    if (!acq) return;
    this.#pass = null;
    this.#encoder = null;
    this.#pool?.destroy();
    this.#acq = null;
    this.#pool = null;
    this.#pipelines = null;
    // A device we were handed belongs to the caller.
    if (acq !== this.#init.acquired) acq.device.destroy();
  }

  get started(): boolean {
    return this.#acq !== null && this.#lost === null;
  }

  get device(): GPUDevice {
    return this.#live().device;
  }

  get report(): AdapterReport {
    return this.#live().report;
  }

  get limits(): GPUSupportedLimits {
    return this.#live().device.limits;
  }

  get pipelines(): PipelineCache {
    this.#live();
    return this.#pipelines!;
  }

  get poolStats(): BufferPoolStats {
    this.#live();
    return this.#pool!.stats;
  }

  #live(): AcquiredDevice {
    if (this.#lost) throw this.#lost;
    if (!this.#acq) throw new RuntimeNotStartedError();
    return this.#acq;
  }

  #checkBinding(bytes: number, what: string): void {
    const max = this.limits.maxStorageBufferBindingSize;
    if (bytes > max) throw new LimitExceededError('maxStorageBufferBindingSize', bytes, max, what);
  }

  /** A new tensor whose contents are undefined (pool buffers are reused): kernels write every element. */
  empty<D extends DType = 'f32'>(shape: readonly number[], dtype: D = 'f32' as D): Tensor<D> {
    this.#live();
    assertShape(shape, 'shape');
    const bytes = sizeOf(shape) * DTYPE_BYTES[dtype];
    this.#checkBinding(bytes, `tensor [${shape.join(',')}]`);
    const pool = this.#pool!;
    const buffer = pool.acquire(bytes, STORAGE | COPY_SRC | COPY_DST);
    return new Tensor(buffer, shape, dtype, (b) => this.#release(b, pool));
  }

  /** Copies host data into a new tensor. */
  upload<D extends DType = 'f32'>(data: Typed, shape: readonly number[], dtype?: D): Tensor<D> {
    const dt = (dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint32Array ? 'u32' : 'f32')) as D;
    assertShape(shape, 'shape');
    if (data.length !== sizeOf(shape)) throw new ShapeError(`upload: data has ${data.length} elements but shape [${shape.join(',')}] needs ${sizeOf(shape)}`);
    const t = this.empty(shape, dt);
    if (data.length) this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  #release(buffer: GPUBuffer, pool: BufferPool): void {
    // A tensor from before a device loss or stop(): its device and pool are gone, and the
    // current pool must not adopt a buffer of a dead device.
    if (pool !== this.#pool) return;
    // A buffer referenced by commands not yet submitted must not be handed out again before the
    // submit: a queue.writeBuffer into it would land before those commands run.
    if (this.#encoder) this.#afterSubmit.push(buffer);
    else this.#pool.release(buffer);
  }

  /**
   * Records one kernel launch into the pending command buffer. Compiles the pipeline on first
   * use; launches are submitted by {@link flush} or {@link read}.
   */
  async dispatch(args: DispatchArgs): Promise<void> {
    const pipeline = this.pipelines.peek(args.kernel, args.constants) ?? (await this.pipelines.get(args.kernel, args.constants));
    const device = this.device;
    const [x, y = 1, z = 1] = args.workgroups;
    const maxWg = device.limits.maxComputeWorkgroupsPerDimension;
    for (const [n, v] of [['x', x], ['y', y], ['z', z]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${args.kernel.name}: workgroups.${n} must be a non-negative integer, got ${v}`);
      if (v > maxWg) throw new LimitExceededError('maxComputeWorkgroupsPerDimension', v, maxWg, `${args.kernel.name} workgroups.${n}`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const entries: GPUBindGroupEntry[] = args.bindings.map((t, i) => {
      this.#checkBinding(t.byteLength, `${args.kernel.name} binding ${i}`);
      return { binding: i, resource: { buffer: t.buffer, offset: 0, size: Math.max(4, t.byteLength) } };
    });
    if (args.uniforms) {
      const u = args.uniforms;
      const size = Math.ceil(u.byteLength / 16) * 16;
      const ub = this.#pool!.acquire(size, UNIFORM | COPY_DST);
      device.queue.writeBuffer(ub, 0, u.buffer, u.byteOffset, u.byteLength);
      entries.push({ binding: args.bindings.length, resource: { buffer: ub, offset: 0, size } });
      this.#afterSubmit.push(ub);
    }
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: args.kernel.name });
    if (!this.#encoder) this.#encoder = device.createCommandEncoder({ label: 'tabmesh-batch' });
    if (!this.#pass) this.#pass = this.#encoder.beginComputePass();
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, bindGroup);
    this.#pass.dispatchWorkgroups(x, y, z);
  }

  /** Submits the pending launches (if any). */
  flush(): void {
    const device = this.device;
    if (!this.#encoder) return;
    this.#pass?.end();
    const cb = this.#encoder.finish();
    this.#pass = null;
    this.#encoder = null;
    device.queue.submit([cb]);
    const pending = this.#afterSubmit;
    this.#afterSubmit = [];
    for (const b of pending) this.#pool!.release(b);
  }

  /** Waits until the GPU finished everything submitted; throws what the device reported. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.#throwErrors();
  }

  #throwErrors(): void {
    if (this.#lost) throw this.#lost;
    if (this.#errors.length) {
      const msg = this.#errors.join('; ');
      this.#errors = [];
      throw new GpuValidationError(msg);
    }
  }

  /** Submits pending work and copies a tensor back to the host. */
  async read<D extends DType>(t: Tensor<D>): Promise<TypedArrayFor<D>> {
    const [out] = await this.readMany([t]);
    return out as TypedArrayFor<D>;
  }

  /**
   * Copies several tensors back in one submit and one map: each read is a round trip to the
   * GPU, which dominates small batches.
   */
  async readMany(tensors: readonly Tensor[]): Promise<Typed[]> {
    this.device;
    const offsets: number[] = [];
    let total = 0;
    for (const t of tensors) {
      offsets.push(total);
      total += Math.ceil(t.byteLength / 4) * 4;
    }
    const pool = this.#pool!;
    const staging = pool.acquire(Math.max(4, total), MAP_READ | COPY_DST);
    try {
      this.#encoderForCopy();
      tensors.forEach((t, i) => {
        if (t.byteLength > 0) this.#encoder!.copyBufferToBuffer(t.buffer, 0, staging, offsets[i]!, t.byteLength);
      });
      this.flush();
      try {
        await staging.mapAsync(MAP_MODE_READ, 0, Math.max(4, total));
      } catch (e) {
        if (this.#lost) throw this.#lost;
        throw new GpuValidationError(`reading ${tensors.join(', ')}: ${(e as Error).message}`);
      }
      const copy = staging.getMappedRange(0, Math.max(4, total)).slice(0, total);
      staging.unmap();
      this.#throwErrors();
      return tensors.map((t, i) => {
        const ctor = t.dtype === 'f32' ? Float32Array : t.dtype === 'i32' ? Int32Array : Uint32Array;
        return new ctor(copy, offsets[i]!, t.size);
      });
    } finally {
      if (pool === this.#pool) pool.release(staging);
    }
  }

  /** Ends the compute pass (if open) so copies can be recorded on the same encoder. */
  #encoderForCopy(): void {
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder({ label: 'tabmesh-batch' });
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
  }
}

/**
 * Workgroup counts for `n` independent items at `perWorkgroup` items each, folded into a 2-D
 * grid when one dimension would exceed the limit (65,535 on most adapters). Kernels recover
 * the linear index as `wg.x + wg.y * num_workgroups.x`.
 */
export function gridFor(n: number, perWorkgroup: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.ceil(n / perWorkgroup);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim) throw new LimitExceededError('maxComputeWorkgroupsPerDimension', y, maxPerDim, `grid for ${n} items`);
  return [Math.ceil(groups / y), y, 1];
}
