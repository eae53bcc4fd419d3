/**
 * Per-adapter kernel selection. The fastest matmul and conv2d kernels differ by an order of
 * magnitude between adapters (on CPU-backed adapters the barrier-free register-blocked kernels
 * win, on real GPUs workgroup-memory tiling does), so the worker measures each variant once on
 * a short fixed benchmark, checks its result against the CPU reference (a variant that computes
 * a wrong answer on this adapter is never chosen, however fast), and records the winners in
 * `rt.tuning`, where the ops read them.
 *
 * Results are cached per adapter identity through a {@link TuningStore} (in memory by default;
 * the worker passes an IndexedDB one), so a second start skips the measurement.
 */
import type { GpuRuntime } from './runtime.ts';
import type { AdapterReport } from './device.ts';
import type { Tensor } from './tensor.ts';
import { conv2d, conv2dVariants, type Conv2dVariant } from './ops/conv2d.ts';
import { matmul, matmulVariants, type MatmulVariant } from './ops/matmul.ts';
import { conv2dRef } from './reference/conv2d.ts';
import { matmulRef } from './reference/matmul.ts';

/** What the autotuner measured on one adapter; also what a worker advertises to schedulers. */
export interface BenchmarkScore {
  /** GFLOP/s of the fastest correct matmul variant on the benchmark (256×256×256). */
  gflops: number;
  /** GFLOP/s per variant, keyed 'matmul/reg', 'conv2d/direct', ...; 0 for a variant that computed a wrong result. */
  perVariant: Record<string, number>;
  /** The chosen variant per op family, e.g. { matmul: 'reg', conv2d: 'reg' }. */
  chosen: Record<string, string>;
  /** The adapter identity the score belongs to (see {@link adapterKey}). */
  adapter: string;
  /** When it was measured (ms since the epoch). */
  measuredAt: number;
}

/** Where scores persist between sessions, keyed by adapter identity. */
export interface TuningStore {
  get(key: string): Promise<BenchmarkScore | undefined>;
  set(key: string, value: BenchmarkScore): Promise<void>;
}

/** The default store: lives as long as the page or worker. */
export class MemoryTuningStore implements TuningStore {
  readonly #m = new Map<string, BenchmarkScore>();
  async get(key: string): Promise<BenchmarkScore | undefined> {
    const v = this.#m.get(key);
    return v ? structuredClone(v) : undefined;
  }
  async set(key: string, value: BenchmarkScore): Promise<void> {
    this.#m.set(key, structuredClone(value));
  }
}

export interface AutotuneOptions {
  /** Cache of earlier results; default: one in-memory store shared by the page or worker. */
  store?: TuningStore;
  /**
   * Soft time budget for the measurement. Every variant is always run once (its result has to
   * be checked); repetitions stop when the budget is spent. Default 2000 ms.
   */
  budgetMs?: number;
  /** Measure even when the store holds a score for this adapter. */
  force?: boolean;
}

/** Bump when kernels change in a way that can change which variant wins: old scores are then ignored. */
const KERNEL_SET = 'kernels-v1';

const defaultStore = new MemoryTuningStore();

/** Identity of an adapter for caching: vendor, architecture, device and description, plus the kernel set. */
export function adapterKey(report: AdapterReport): string {
  return [KERNEL_SET, report.vendor, report.architecture, report.device, report.description, report.isFallbackAdapter ? 'fallback' : 'hw'].join('|');
}

/** A stored score is used only if it is for this adapter and names variants this device can run. */
function usable(rt: GpuRuntime, v: unknown, key: string): v is BenchmarkScore {
  if (!v || typeof v !== 'object') return false;
  const s = v as BenchmarkScore;
  return (
    s.adapter === key &&
    typeof s.gflops === 'number' &&
    Number.isFinite(s.gflops) &&
    typeof s.measuredAt === 'number' &&
    !!s.chosen &&
    !!s.perVariant &&
    (matmulVariants(rt) as string[]).includes(s.chosen['matmul']!) &&
    (conv2dVariants(rt) as string[]).includes(s.chosen['conv2d']!)
  );
}

function apply(rt: GpuRuntime, s: BenchmarkScore): void {
  for (const [family, variant] of Object.entries(s.chosen)) rt.tuning.set(family, variant);
}

/** Deterministic inputs in [−1, 1] (an LCG: the benchmark must not depend on Math.random). */
function data(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** |got − want| ≤ 1e-6 + 4e-7·K + 2e-5·|want| everywhere: the compliance suite's dot-product tolerance. */
function close(got: Float32Array, want: Float32Array, K: number): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (!(e <= 1e-6 + 4e-7 * K + 2e-5 * Math.abs(want[i]!))) return false;
  }
  return true;
}

/** One benchmark problem: inputs already uploaded. */
interface Problem<V extends string> {
  flops: number;
  /** Records one launch of `variant` into the runtime's batch and returns its output. */
  launch: (variant: V) => Promise<Tensor>;
  /** Whether an output is right. */
  check: (out: Float32Array) => boolean;
}

interface Family<V extends string> {
  name: string;
  variants: readonly V[];
  /** A small problem every variant runs: compile, correctness check, rough speed. */
  probe: Problem<V>;
  /** The benchmark proper, for the variants that can still win. */
  full: Problem<V>;
}

/** Runs a problem once and checks the result: false when it is wrong or the kernel threw. */
async function runChecked<V extends string>(rt: GpuRuntime, p: Problem<V>, v: V): Promise<boolean> {
  try {
    const out = await p.launch(v);
    let got: Float32Array;
    try {
      got = (await rt.read(out)) as Float32Array;
    } finally {
      out.release();
    }
    return p.check(got);
  } catch (e) {
    // A kernel this adapter cannot compile or run is simply not a candidate; a lost device is
    // not the variant's fault and ends the measurement.
    if ((e as Error).name === 'DeviceLostError') throw e;
    return false;
  }
}

async function timed<V extends string>(rt: GpuRuntime, p: Problem<V>, v: V): Promise<number> {
  const t = performance.now();
  const y = await p.launch(v);
  await rt.sync();
  const ms = performance.now() - t;
  y.release();
  return ms;
}

/**
 * Measures every variant of one family. Each runs the small probe twice (the first run compiles
 * and is checked against the reference, the second is timed); variants more than 4x slower
 * than the best probe cannot win, are reported at their probe speed, and are spared the full
 * benchmark (on a CPU adapter one full run of the wrong kernel takes seconds). The others run
 * the full benchmark once more with a check, then are timed while the budget lasts (at least
 * once, at most 5 times), median of the timings.
 */
async function measure<V extends string>(rt: GpuRuntime, f: Family<V>, deadline: number, perVariant: Record<string, number>): Promise<V | undefined> {
  const probeMs = new Map<V, number>();
  for (const v of f.variants) {
    if (!(await runChecked(rt, f.probe, v))) {
      perVariant[`${f.name}/${v}`] = 0;
      continue;
    }
    probeMs.set(v, await timed(rt, f.probe, v));
  }
  const fastestProbe = Math.min(...probeMs.values());
  let best: V | undefined;
  let bestMs = Infinity;
  for (const [v, pms] of probeMs) {
    if (pms > 4 * fastestProbe) {
      perVariant[`${f.name}/${v}`] = f.probe.flops / (pms * 1e6);
      continue;
    }
    if (!(await runChecked(rt, f.full, v))) {
      perVariant[`${f.name}/${v}`] = 0;
      continue;
    }
    const times: number[] = [];
    do times.push(await timed(rt, f.full, v));
    while (times.length < 5 && performance.now() < deadline);
    const ms = median(times);
    perVariant[`${f.name}/${v}`] = f.full.flops / (ms * 1e6);
    if (ms < bestMs) {
      bestMs = ms;
      best = v;
    }
  }
  return best;
}

/**
 * Picks the fastest correct matmul and conv2d variants for this adapter, sets them in
 * `rt.tuning`, and returns the score; a score cached for this adapter is reused without
 * measuring. Benchmarks: a 256×256×256 matmul and the digits model's second conv
 * ([64,8,14,14] ∗ [16,8,5,5], padding 2, bias, ReLU).
 *
 * @example
 * const score = await autotune(rt, { store: new IndexedDbTuningStore() });
 * console.log(score.chosen, score.gflops); // { matmul: 'reg', conv2d: 'reg' } 4.1
 */
export async function autotune(rt: GpuRuntime, opts: AutotuneOptions = {}): Promise<BenchmarkScore> {
  const store = opts.store ?? defaultStore;
  const key = adapterKey(rt.report);
  if (!opts.force) {
    // A broken store (quota, private mode) must not stop the worker: measure instead.
    const cached = await store.get(key).catch(() => undefined);
    if (usable(rt, cached, key)) {
      apply(rt, cached);
      return cached;
    }
  }
  const deadline = performance.now() + (opts.budgetMs ?? 2000);
  const perVariant: Record<string, number> = {};
  const chosen: Record<string, string> = {};
  const temps: Tensor[] = [];
  try {
    const mm = await measure<MatmulVariant>(
      rt,
      { name: 'matmul', variants: orderFor(rt, matmulVariants(rt), 'reg'), probe: matmulProblem(rt, 64, temps), full: matmulProblem(rt, 256, temps) },
      deadline,
      perVariant,
    );
    if (mm) chosen['matmul'] = mm;
    const cv = await measure<Conv2dVariant>(
      rt,
      { name: 'conv2d', variants: orderFor(rt, conv2dVariants(rt), 'reg'), probe: convProblem(rt, 2, temps), full: convProblem(rt, 64, temps) },
      deadline,
      perVariant,
    );
    if (cv) chosen['conv2d'] = cv;
  } finally {
    for (const t of temps) t.release();
  }

  const score: BenchmarkScore = {
    gflops: chosen['matmul'] ? perVariant[`matmul/${chosen['matmul']}`]! : 0,
    perVariant,
    chosen,
    adapter: key,
    measuredAt: Date.now(),
  };
  apply(rt, score);
  // Only a complete score is worth caching: a family with no correct variant is re-examined next time.
  if (chosen['matmul'] && chosen['conv2d']) await store.set(key, score).catch(() => undefined);
  return score;
}

/** An n×n×n matmul on deterministic inputs, checked against matmulRef. */
function matmulProblem(rt: GpuRuntime, n: number, temps: Tensor[]): Problem<MatmulVariant> {
  const ha = { data: data(n * n, 1), shape: [n, n] };
  const hb = { data: data(n * n, 2), shape: [n, n] };
  const a = rt.upload(ha.data, ha.shape);
  const b = rt.upload(hb.data, hb.shape);
  temps.push(a, b);
  let want: Float32Array | null = null;
  return {
    flops: 2 * n * n * n,
    launch: (variant) => matmul(rt, a, b, { variant }),
    check: (out) => close(out, (want ??= matmulRef(ha, hb).data), n),
  };
}

/**
 * The digits model's second conv ([N,8,14,14] ∗ [16,8,5,5], padding 2, bias, ReLU). The check
 * covers the first and last images only: enough to catch a wrong kernel, batch offsets
 * included, at a fraction of the CPU cost of the whole batch.
 */
function convProblem(rt: GpuRuntime, N: number, temps: Tensor[]): Problem<Conv2dVariant> {
  const [C, H, W, O, K] = [8, 14, 14, 16, 5];
  const hx = data(N * C * H * W, 3);
  const hw = { data: data(O * C * K * K, 4), shape: [O, C, K, K] };
  const hbias = { data: data(O, 5), shape: [O] };
  const x = rt.upload(hx, [N, C, H, W]);
  const w = rt.upload(hw.data, hw.shape);
  const bias = rt.upload(hbias.data, hbias.shape);
  temps.push(x, w, bias);
  const img = C * H * W;
  const out = O * H * W;
  let want: Float32Array | null = null;
  return {
    flops: 2 * N * O * H * W * C * K * K,
    launch: (variant) => conv2d(rt, x, w, { bias, padding: 2, activation: 'relu', variant }),
    check: (y) => {
      if (!want) {
        const sub = new Float32Array(2 * img);
        sub.set(hx.subarray(0, img), 0);
        sub.set(hx.subarray((N - 1) * img), img);
        want = conv2dRef({ data: sub, shape: [2, C, H, W] }, hw, { bias: hbias, padding: 2, activation: 'relu' }).data;
      }
      const got = new Float32Array(2 * out);
      got.set(y.subarray(0, out), 0);
      got.set(y.subarray((N - 1) * out), out);
      return close(got, want, C * K * K);
    },
  };
}

/** Variants with the likely winner first (only affects the order of the log). */
function orderFor<V extends string>(rt: GpuRuntime, variants: readonly V[], cpuFavourite: V): V[] {
  const fav = rt.report.isFallbackAdapter ? cpuFavourite : undefined;
  return [...variants].sort((p, q) => (p === fav ? -1 : q === fav ? 1 : 0));
}
