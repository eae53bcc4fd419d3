/**
 * Shared by the benchmark page (browser) and its driver (Node): result shapes, the seeded data
 * generator and small statistics helpers. No DOM and no Node APIs here.
 */

/** What `navigator.gpu.requestAdapter()` reports, flattened to JSON. */
export interface AdapterJson {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
}

export interface TfjsInfo {
  backend: string;
  version: string;
  /** The adapter TF.js's own requestAdapter() got (its `adapterInfo`). */
  adapter: Partial<AdapterJson>;
  /** Flags set before `tf.setBackend('webgpu')`, for the record (empty: none were needed). */
  flags: Record<string, unknown>;
}

export interface TabmeshInfo {
  adapter: AdapterJson;
  /** The autotuner's choices per op family (rt.tuning after autotune). */
  tuning: Record<string, string>;
  autotuneMs: number;
  /** Every matmul variant measured, in addition to the tuned default. */
  variants: string[];
  /** The autotuner's own GFLOP/s per variant ('matmul/reg', 'conv2d/direct', ...). */
  autotuneScore: Record<string, number>;
}

/** A contestant in the matmul race: TF.js, or tabmesh with a forced variant, or its default. */
export type MatmulContestant = 'tfjs' | `tabmesh:${string}`;

export interface MatmulCheck {
  contestant: string;
  /**
   * max |c − ref| / max |ref| over the whole product, ref being TF.js's product on the same
   * data, and over 16 entries recomputed on the CPU in f64 (for TF.js: the latter only).
   */
  maxRelErr: number;
  /** The CPU part alone. */
  vsCpu: number;
}

export interface DigitsCheck {
  samples: number;
  classes: number;
  maxLogitDiff: number;
  /** Samples whose argmax differs between tabmesh and TF.js. */
  argmaxMismatches: number;
  /** Mismatches where TF.js's top-2 margin is above the tolerance (a real disagreement, not a tie). */
  seriousMismatches: number;
  /** Share of samples classified as labelled (real digits only; null for synthetic inputs). */
  tabmeshAccuracy: number | null;
  tfjsAccuracy: number | null;
  inputs: string;
}

/** mulberry32: deterministic uint32 stream, identical in every engine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `n` values uniform in [-1, 1), reproducible from `seed`. */
export function uniformData(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() / 4294967296) * 2 - 1;
  return out;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** max |a - b| over equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // NaN propagates as NaN
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
