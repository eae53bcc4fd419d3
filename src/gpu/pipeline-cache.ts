import { ShaderCompilationError } from './errors.ts';

/** A WGSL kernel: its name (for errors and cache keys), its source and its entry point. */
export interface Kernel {
  readonly name: string;
  readonly code: string;
  readonly entryPoint?: string;
}

/** Values for the kernel's WGSL `override` declarations (workgroup size, fused activation, ...). */
export type Specialisation = Readonly<Record<string, number | boolean>>;

/** Stable cache key: kernel name plus its override constants in sorted order. */
export function pipelineKey(kernel: Kernel, constants: Specialisation = {}): string {
  const parts = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${Number(constants[k])}`);
  return `${kernel.name}${parts.length ? '|' + parts.join(',') : ''}`;
}

/**
 * Compute pipelines keyed by kernel and specialisation. Shader compilation costs tens to
 * hundreds of milliseconds (SwiftShader JITs every pipeline), so each distinct
 * (kernel, constants) pair is compiled once per device and shared.
 *
 * @example
 * const cache = new PipelineCache(device);
 * const pipeline = await cache.get(reluKernel, { WG: 64 });
 */
export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #modules = new Map<string, Promise<GPUShaderModule>>();
  readonly #pipelines = new Map<string, Promise<GPUComputePipeline>>();
  readonly #ready = new Map<string, GPUComputePipeline>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  get size(): number {
    return this.#pipelines.size;
  }

  /** The pipeline if it was already compiled, without waiting; lets hot paths stay synchronous. */
  peek(kernel: Kernel, constants?: Specialisation): GPUComputePipeline | undefined {
    return this.#ready.get(pipelineKey(kernel, constants));
  }

  /** Compiles (once) and returns the pipeline for a kernel and specialisation. */
  get(kernel: Kernel, constants: Specialisation = {}): Promise<GPUComputePipeline> {
    const key = pipelineKey(kernel, constants);
    let p = this.#pipelines.get(key);
    if (!p) {
      p = this.#compile(kernel, constants, key);
      this.#pipelines.set(key, p);
      // A failed compile must not poison the cache forever (a device loss can cause it).
      p.catch(() => this.#pipelines.delete(key));
    }
    return p;
  }

  async #module(kernel: Kernel): Promise<GPUShaderModule> {
    let m = this.#modules.get(kernel.name);
    if (!m) {
      m = (async () => {
        // The scope is pushed and popped synchronously around the call, so no other caller's
        // scope can interleave; it keeps the WGSL error out of the device's uncaptured errors.
        this.#device.pushErrorScope('validation');
        const module = this.#device.createShaderModule({ code: kernel.code, label: kernel.name });
        const scope = this.#device.popErrorScope();
        const info = await module.getCompilationInfo();
        const scoped = await scope;
        const errors = info.messages.filter((x) => x.type === 'error');
        if (errors.length) {
          throw new ShaderCompilationError(kernel.name, errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; '));
        }
        if (scoped) throw new ShaderCompilationError(kernel.name, scoped.message);
        return module;
      })();
      this.#modules.set(kernel.name, m);
      m.catch(() => this.#modules.delete(kernel.name));
    }
    return m;
  }

  async #compile(kernel: Kernel, constants: Specialisation, key: string): Promise<GPUComputePipeline> {
    const module = await this.#module(kernel);
    const c: Record<string, number> = {};
    for (const [k, v] of Object.entries(constants)) c[k] = Number(v);
    let pipeline: GPUComputePipeline;
    try {
      // The async form reports a bad pipeline by rejecting (GPUPipelineError), so no error scope
      // is needed, and none is left open across an await where another caller could pop it.
      pipeline = await this.#device.createComputePipelineAsync({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: kernel.entryPoint ?? 'main', constants: c },
      });
    } catch (e) {
      throw new ShaderCompilationError(kernel.name, (e as Error).message);
    }
    this.#ready.set(key, pipeline);
    return pipeline;
  }
}
