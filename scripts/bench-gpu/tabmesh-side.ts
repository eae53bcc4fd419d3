/**
 * The tabmesh side of the benchmark: one GpuRuntime on the page's adapter, autotuned as the
 * compute worker does it, then matmul per variant and the digits model through prepareModel().
 */
import { GpuRuntime } from '../../src/gpu/runtime.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { autotune, MemoryTuningStore, type BenchmarkScore } from '../../src/gpu/autotune.ts';
import { MATMUL_VARIANTS, defaultMatmulVariant, matmul, relu, type MatmulVariant } from '../../src/gpu/ops/index.ts';
import { prepareModel, type Classification, type RunnableModel } from '../../src/models/runnable.ts';
import type { LoadedModel } from '../../src/models/load.ts';
import type { TabmeshInfo } from './common.ts';

export interface TabmeshHandle {
  rt: GpuRuntime;
  info: TabmeshInfo;
  score: BenchmarkScore;
}

/** Contestant name of the default (autotuned) variant; the others are `tabmesh:<variant>`. */
export const TABMESH_DEFAULT = 'tabmesh:default';

export async function initTabmesh(): Promise<TabmeshHandle> {
  const rt = new GpuRuntime();
  await rt.start();
  const t0 = performance.now();
  // A fresh store: always measure, never reuse a score from elsewhere.
  const score = await autotune(rt, { store: new MemoryTuningStore(), force: true });
  const autotuneMs = performance.now() - t0;
  const r = rt.report;
  return {
    rt,
    score,
    info: {
      adapter: { vendor: r.vendor, architecture: r.architecture, device: r.device, description: r.description, isFallbackAdapter: r.isFallbackAdapter, features: r.features },
      tuning: Object.fromEntries(rt.tuning),
      autotuneMs,
      variants: [...MATMUL_VARIANTS],
      autotuneScore: score.perVariant,
    },
  };
}

function variantOf(contestant: string): MatmulVariant | undefined {
  const v = contestant.slice('tabmesh:'.length);
  if (contestant === TABMESH_DEFAULT) return undefined;
  if (!(MATMUL_VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown tabmesh matmul variant ${v}`);
  return v as MatmulVariant;
}

export class TabmeshMatmul {
  readonly #rt: GpuRuntime;
  readonly #a: Tensor;
  readonly #b: Tensor;
  /** `tabmesh:<variant>` for every variant, then `tabmesh:default` (what a call without `variant` runs). */
  readonly contestants: string[];
  /** The variant the default resolves to on this runtime. */
  readonly defaultVariant: MatmulVariant;

  constructor(h: TabmeshHandle, n: number, a: Float32Array, b: Float32Array) {
    this.#rt = h.rt;
    // Upload happens here, outside every timed region.
    this.#a = h.rt.upload(a, [n, n]);
    this.#b = h.rt.upload(b, [n, n]);
    this.defaultVariant = defaultMatmulVariant(h.rt);
    this.contestants = [...MATMUL_VARIANTS.map((v) => `tabmesh:${v}`), TABMESH_DEFAULT];
  }

  #launch(contestant: string): Promise<Tensor> {
    const variant = variantOf(contestant);
    return matmul(this.#rt, this.#a, this.#b, variant ? { variant } : {});
  }

  async product(contestant: string): Promise<Float32Array> {
    const c = await this.#launch(contestant);
    try {
      return (await this.#rt.read(c)) as Float32Array;
    } finally {
      c.release();
    }
  }

  /** One timed rep: `launches` back-to-back products, then one read of the last. */
  async rep(contestant: string, launches: number): Promise<number> {
    const outs: Tensor[] = [];
    const t0 = performance.now();
    for (let i = 0; i < launches; i++) outs.push(await this.#launch(contestant));
    await this.#rt.read(outs[outs.length - 1]!);
    const ms = performance.now() - t0;
    for (const o of outs) o.release();
    return ms;
  }

  dispose(): void {
    this.#a.release();
    this.#b.release();
  }
}

/** The fixed cost of one request: relu over a small vector, then its readback. */
export class TabmeshRoundTrip {
  readonly #rt: GpuRuntime;
  readonly #x: Tensor;

  constructor(h: TabmeshHandle, data: Float32Array) {
    this.#rt = h.rt;
    this.#x = h.rt.upload(data, [data.length]);
  }

  async rep(): Promise<number> {
    const t0 = performance.now();
    const y = await relu(this.#rt, this.#x);
    await this.#rt.read(y);
    const ms = performance.now() - t0;
    y.release();
    return ms;
  }

  dispose(): void {
    this.#x.release();
  }
}

export class TabmeshDigits {
  readonly #model: RunnableModel;

  private constructor(model: RunnableModel) {
    this.#model = model;
  }

  /** Uploads the weights (outside every timed region). */
  static async create(h: TabmeshHandle, model: LoadedModel): Promise<TabmeshDigits> {
    const m = prepareModel(h.rt, model);
    await h.rt.sync();
    return new TabmeshDigits(m);
  }

  classify(input: Float32Array, batch: number): Promise<Classification> {
    return this.#model.classify(input, batch);
  }

  release(): void {
    this.#model.release();
  }
}
