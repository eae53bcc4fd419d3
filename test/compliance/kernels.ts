/**
 * The kernel compliance suite: one list of cases that every implementation of the GPU ops must
 * pass, wherever it runs (Dawn in Node: test/node/kernels/compliance.test.ts; Chromium through
 * the browser harness page). Each case builds seeded random inputs, runs the GPU op, runs the
 * CPU reference (src/gpu/reference) on the same data, and compares them under a documented
 * tolerance.
 *
 * Browser-safe on purpose: no Node imports here (test/support/dawn.ts stays out).
 *
 * Tolerances: every case passes when, for each element, |got − want| ≤ abs + rel·|want|, or when
 * `exact` is set, got and want are identical (NaN matching NaN). Why each family gets what it
 * gets is written next to the family below; the gist: the references accumulate in f64 and round
 * once, the kernels accumulate in f32 in a different order, and exp/tanh on GPUs are
 * approximations with a few ULP of error. Ops that only move or compare values are exact.
 */
import type { GpuRuntime } from '../../src/gpu/runtime.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import * as ops from '../../src/gpu/ops/index.ts';
import * as ref from '../../src/gpu/reference/index.ts';
import type { HostData, HostTensor } from '../../src/gpu/reference/index.ts';

export interface Tolerance {
  /** Absolute error allowed on every element. */
  abs: number;
  /** Error allowed in proportion to |want|. */
  rel: number;
  /** Bit-for-bit equality (NaN equals NaN). */
  exact?: boolean;
}

export interface KernelCase {
  /** Unique, readable: family/variant/shapes/options. */
  name: string;
  /** Op family: 'matmul', 'conv2d', 'softmax', ... */
  op: string;
  /** The kernel variant forced by this case, for families that have several. */
  variant?: string;
  /** Device features the case needs (e.g. 'subgroups' for matmul 'reg-sg'). */
  requires?: readonly string[];
  tolerance: Tolerance;
  /** Runs the op on the GPU and on the CPU reference, on the same seeded inputs. */
  run(rt: GpuRuntime): Promise<{ got: HostData; want: HostData; shape: readonly number[]; wantShape: readonly number[] }>;
}

export interface KernelCaseResult {
  name: string;
  maxAbsErr: number;
  /** Largest |got − want| / |want| over elements with |want| ≥ 1e-3 (informational). */
  maxRelErr: number;
  tolerance: Tolerance;
  pass: boolean;
  /** Why it failed (first offending element), or a one-line summary when it passed. */
  detail: string;
}

export interface KernelCaseOptions {
  /** Which variants to cover; defaults to every variant the ops export. */
  matmulVariants?: readonly string[];
  conv2dVariants?: readonly string[];
  /**
   * The device's features (`rt.device.features`). When given, cases needing a feature the
   * device lacks are left out; when absent, every case is listed.
   */
  features?: ReadonlySet<string> | Iterable<string>;
}

/** Features each kernel variant needs. */
const VARIANT_FEATURES: Record<string, readonly string[]> = { 'reg-sg': ['subgroups'] };

// ---------------------------------------------------------------------------------------------
// Seeded inputs (no Math.random: a failure must reproduce bit for bit, in Node and in Chromium).

/** mulberry32: small, fast, good enough for test data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Uniform values in [lo, hi), optionally snapped to a grid of `step` (to force ties). */
function uniform(seed: string, shape: readonly number[], lo = -1, hi = 1, step = 0): HostTensor {
  const r = rng(hash(seed));
  const data = new Float32Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    let v = lo + (hi - lo) * r();
    if (step) v = Math.round(v / step) * step;
    data[i] = v;
  }
  return { data, shape };
}

function upload(rt: GpuRuntime, t: HostTensor<HostData>): Tensor {
  return rt.upload(t.data, t.shape);
}

/** Uploads host inputs, runs `gpu`, reads the result, and releases everything it made. */
async function onGpu(rt: GpuRuntime, inputs: HostTensor<HostData>[], gpu: (ts: Tensor[]) => Promise<Tensor>): Promise<{ got: HostData; shape: readonly number[] }> {
  const ts = inputs.map((t) => upload(rt, t));
  try {
    const y = await gpu(ts);
    try {
      return { got: await rt.read(y), shape: y.shape };
    } finally {
      y.release();
    }
  } finally {
    for (const t of ts) t.release();
  }
}

function makeCase(
  op: string,
  label: string,
  tolerance: Tolerance,
  inputs: () => HostTensor<HostData>[],
  gpu: (rt: GpuRuntime, ts: Tensor[]) => Promise<Tensor>,
  cpu: (hs: HostTensor<HostData>[]) => HostTensor<HostData>,
  variant?: string,
): KernelCase {
  const name = `${op}${variant ? `/${variant}` : ''}/${label}`;
  const requires = variant ? VARIANT_FEATURES[variant] : undefined;
  return {
    name,
    op,
    ...(variant ? { variant } : {}),
    ...(requires ? { requires } : {}),
    tolerance,
    async run(rt) {
      const hs = inputs();
      const { got, shape } = await onGpu(rt, hs, (ts) => gpu(rt, ts));
      const want = cpu(hs);
      return { got, want: want.data, shape, wantShape: want.shape };
    },
  };
}

const shp = (s: readonly number[]): string => `[${s.join(',')}]`;

// ---------------------------------------------------------------------------------------------
// Tolerances, with the reasoning.

/**
 * Dot products of length K (matmul, conv2d with K = C·KH·KW) over inputs in [−1, 1]: the f32
 * running sum has magnitude up to ~√K and each of the K additions may round by half an ULP of
 * it, so the error grows roughly like K·√K·2⁻²⁴ in the worst case and like √K·2⁻²⁴·√K in
 * practice. 4e-7·K (1e-4 at K = 257) sits between the two: an order of magnitude above what the
 * kernels show, and three orders below the error of any indexing bug (which is O(1)). The rel
 * term covers the fused bias add and the activation (GELU/SiLU go through exp/tanh).
 */
const dotTol = (K: number): Tolerance => ({ abs: 1e-6 + 4e-7 * K, rel: 2e-5 });
/** One correctly rounded f32 add or multiply (WGSL requires it) against a once-rounded f64: equal but for FTZ of subnormals. */
const ELEMENTWISE: Tolerance = { abs: 1e-30, rel: 1.2e-7 };
/**
 * GELU and SiLU go through tanh/exp, which WGSL allows a few ULP of error (exp: 3 + 2|x| ULP),
 * and GELU's 1 + tanh(z) cancels for negative x, turning tanh's relative error into absolute
 * error of ~1e-7 on a small result: 2e-6 absolute and 2e-5 relative cover both with margin on
 * |x| ≤ 6.
 */
const TRANSCENDENTAL: Tolerance = { abs: 2e-6, rel: 2e-5 };
/**
 * Softmax: each exp is off by a few ULP and the f32 row sum by ~len·2⁻²⁴ relative (1.5e-5 at
 * len 257); 5e-5 relative plus 1e-7 absolute (for entries that underflow toward 0) covers it.
 */
const SOFTMAX: Tolerance = { abs: 1e-7, rel: 5e-5 };
/**
 * LayerNorm / RMSNorm: the f32 mean of a row with |mean| ≫ std loses ~|mean|/std·√len·2⁻²⁴
 * relative precision in x − mean (inputs here have mean up to 4 and unit spread: ~1e-5), and
 * inverseSqrt has 2 ULP; 1e-4 absolute on outputs of unit scale bounds it with margin.
 */
const NORM: Tolerance = { abs: 2e-5, rel: 2e-5 };
/** Averages of ≤ 25 values: one f32 rounding per add and a division. */
const AVG_POOL: Tolerance = { abs: 1e-6, rel: 1e-6 };
/** Ops that move or compare values without arithmetic: anything but identity is a bug. */
const EXACT: Tolerance = { abs: 0, rel: 0, exact: true };

// ---------------------------------------------------------------------------------------------
// The cases.

export function kernelCases(opts: KernelCaseOptions = {}): KernelCase[] {
  const cases: KernelCase[] = [];
  const matmulVariants = opts.matmulVariants ?? ops.MATMUL_VARIANTS;
  const conv2dVariants = opts.conv2dVariants ?? ops.CONV2D_VARIANTS;

  // matmul: vec4 and scalar paths, tile edges (65, 68), K not a multiple of 4, skinny M,
  // N = 257, K = 0 (the result is the bias), batches with and without broadcasting.
  type Mm = { a: number[]; b: number[]; bias?: boolean; act?: 'none' | 'relu' | 'gelu' | 'silu' };
  const mms: Mm[] = [
    { a: [1, 1], b: [1, 1] },
    { a: [7, 5], b: [5, 3] },
    { a: [33, 257], b: [257, 9], bias: true },
    { a: [64, 64], b: [64, 64], bias: true, act: 'relu' },
    { a: [65, 72], b: [72, 68], bias: true, act: 'gelu' },
    { a: [8, 16], b: [16, 257], act: 'silu' },
    { a: [1, 128], b: [128, 40], bias: true },
    { a: [3, 20, 12], b: [3, 12, 16], bias: true, act: 'gelu' },
    { a: [4, 9, 6], b: [6, 5], act: 'silu' },
    { a: [5, 8], b: [2, 8, 4], bias: true },
    { a: [3, 0], b: [0, 4], bias: true, act: 'relu' },
  ];
  for (const variant of matmulVariants) {
    for (const m of mms) {
      const label = `${shp(m.a)}x${shp(m.b)}${m.bias ? '+bias' : ''}${m.act ? `+${m.act}` : ''}`;
      const N = m.b[m.b.length - 1]!;
      const K = m.a[m.a.length - 1]!;
      cases.push(
        makeCase(
          'matmul',
          label,
          dotTol(K),
          () => [uniform(`${label}:a`, m.a), uniform(`${label}:b`, m.b), ...(m.bias ? [uniform(`${label}:bias`, [N])] : [])],
          (rt, [a, b, bias]) => ops.matmul(rt, a!, b!, { variant: variant as ops.MatmulVariant, ...(bias ? { bias } : {}), ...(m.act ? { activation: m.act } : {}) }),
          ([a, b, bias]) => ref.matmulRef(a as HostTensor, b as HostTensor, { ...(bias ? { bias: bias as HostTensor } : {}), ...(m.act ? { activation: m.act } : {}) }),
          variant,
        ),
      );
    }
  }

  // conv2d: both digits layers, stride/padding per axis, O not a multiple of 8, 1x1, 33 rows;
  // output planes with OH*OW % 4 == 0 (vec4 stores in 'reg') and without (1, 231, 25).
  type Cv = { x: number[]; o: number; k: [number, number]; stride?: number | [number, number]; padding?: number | [number, number]; bias?: boolean; relu?: boolean };
  const cvs: Cv[] = [
    { x: [2, 1, 28, 28], o: 8, k: [5, 5], padding: 2, bias: true, relu: true },
    { x: [2, 8, 14, 14], o: 16, k: [5, 5], padding: 2, bias: true, relu: true },
    { x: [1, 3, 7, 9], o: 5, k: [3, 3], stride: 2, padding: 1 },
    { x: [2, 2, 8, 8], o: 3, k: [3, 1], stride: [1, 2], padding: [1, 0], bias: true },
    { x: [1, 1, 1, 1], o: 1, k: [1, 1] },
    { x: [1, 4, 5, 6], o: 9, k: [2, 2], bias: true, relu: true },
    { x: [3, 2, 33, 7], o: 4, k: [3, 3], padding: 1, bias: true },
    { x: [2, 3, 5, 5], o: 10, k: [3, 3], padding: 1, bias: true, relu: true },
  ];
  for (const variant of conv2dVariants) {
    for (const c of cvs) {
      const w = [c.o, c.x[1]!, c.k[0], c.k[1]];
      const label = `${shp(c.x)}*${shp(w)}${c.stride !== undefined ? ` s${JSON.stringify(c.stride)}` : ''}${c.padding !== undefined ? ` p${JSON.stringify(c.padding)}` : ''}${c.bias ? '+bias' : ''}${c.relu ? '+relu' : ''}`;
      const o = { ...(c.stride !== undefined ? { stride: c.stride } : {}), ...(c.padding !== undefined ? { padding: c.padding } : {}), ...(c.relu ? { activation: 'relu' as const } : {}) };
      cases.push(
        makeCase(
          'conv2d',
          label,
          dotTol(w[1]! * w[2]! * w[3]!),
          () => [uniform(`${label}:x`, c.x), uniform(`${label}:w`, w), ...(c.bias ? [uniform(`${label}:bias`, [c.o])] : [])],
          (rt, [x, wt, bias]) => ops.conv2d(rt, x!, wt!, { ...o, variant, ...(bias ? { bias } : {}) }),
          ([x, wt, bias]) => ref.conv2dRef(x as HostTensor, wt as HostTensor, { ...o, ...(bias ? { bias: bias as HostTensor } : {}) }),
          variant,
        ),
      );
    }
  }

  // pooling: square and rectangular windows, overlapping strides, padding (max ignores it,
  // avg excludes it from the count), the digits shape.
  type Pl = { x: number[]; kernel: number | [number, number]; stride?: number | [number, number]; padding?: number | [number, number] };
  const pls: Pl[] = [
    { x: [2, 3, 8, 8], kernel: 2 },
    { x: [1, 2, 7, 9], kernel: 3, stride: 2, padding: 1 },
    { x: [1, 1, 5, 5], kernel: [2, 3], stride: [1, 2], padding: [1, 1] },
    { x: [2, 16, 28, 28], kernel: 2 },
    { x: [1, 1, 1, 1], kernel: 1 },
    { x: [1, 2, 3, 40], kernel: [2, 3], stride: [1, 2], padding: [1, 1] }, // 20 outputs per row: 2 segments
  ];
  for (const [op, tol] of [['maxPool2d', EXACT], ['avgPool2d', AVG_POOL]] as const) {
    for (const p of pls) {
      const o = { kernel: p.kernel, ...(p.stride !== undefined ? { stride: p.stride } : {}), ...(p.padding !== undefined ? { padding: p.padding } : {}) };
      const label = `${shp(p.x)} ${JSON.stringify(o)}`;
      cases.push(
        makeCase(
          op,
          label,
          tol,
          () => [uniform(`${op}${label}`, p.x)],
          (rt, [x]) => (op === 'maxPool2d' ? ops.maxPool2d(rt, x!, o) : ops.avgPool2d(rt, x!, o)),
          ([x]) => (op === 'maxPool2d' ? ref.maxPool2dRef(x as HostTensor, o) : ref.avgPool2dRef(x as HostTensor, o)),
        ),
      );
    }
  }

  // add / mul: same shape, scalar, channel bias, two-sided broadcasting, rank 6, 257.
  const bins: [number[], number[]][] = [
    [[7, 33], [7, 33]],
    [[257], []],
    [[2, 16, 14, 14], [1, 16, 1, 1]],
    [[4, 1, 3], [5, 1]],
    [[1], [3, 1]],
    [[2, 1, 3, 1, 2, 3], [1, 2, 1, 4, 1, 3]],
  ];
  for (const op of ['add', 'mul'] as const) {
    for (const [sa, sb] of bins) {
      const label = `${shp(sa)}${op === 'add' ? '+' : '*'}${shp(sb)}`;
      cases.push(
        makeCase(
          op,
          label,
          ELEMENTWISE,
          () => [uniform(`${label}:a`, sa), uniform(`${label}:b`, sb)],
          (rt, [a, b]) => ops[op](rt, a!, b!),
          ([a, b]) => (op === 'add' ? ref.addRef : ref.mulRef)(a as HostTensor, b as HostTensor),
        ),
      );
    }
  }

  // activations over a wide range, where the exp/tanh approximations are under most strain.
  for (const op of ['relu', 'gelu', 'silu'] as const) {
    for (const s of [[257], [3, 7, 11]]) {
      const label = shp(s);
      cases.push(
        makeCase(
          op,
          label,
          op === 'relu' ? EXACT : TRANSCENDENTAL,
          () => [uniform(`${op}${label}`, s, -6, 6)],
          (rt, [x]) => ops[op](rt, x!),
          ([x]) => ({ relu: ref.reluRef, gelu: ref.geluRef, silu: ref.siluRef })[op](x as HostTensor),
        ),
      );
    }
  }

  // softmax: rows of 1, shorter than a workgroup, 257, and longer than the largest workgroup.
  for (const s of [[1, 1], [5, 7], [3, 257], [2, 1000]]) {
    const label = shp(s);
    cases.push(
      makeCase('softmax', label, SOFTMAX, () => [uniform(`softmax${label}`, s, -8, 8)], (rt, [x]) => ops.softmax(rt, x!), ([x]) => ref.softmaxRef(x as HostTensor)),
    );
  }

  // layerNorm / rmsNorm: rows of 1, 7, 257, 600 (> 256 invocations); inputs offset from 0 so
  // a one-pass variance would visibly lose precision.
  for (const op of ['layerNorm', 'rmsNorm'] as const) {
    for (const s of [[4, 1], [4, 7], [3, 257], [2, 600]]) {
      const len = s[s.length - 1]!;
      const label = shp(s);
      cases.push(
        makeCase(
          op,
          label,
          NORM,
          () => [uniform(`${op}${label}:x`, s, 2, 4), uniform(`${op}${label}:g`, [len], 0.5, 1.5), uniform(`${op}${label}:b`, [len])],
          (rt, [x, g, b]) => (op === 'layerNorm' ? ops.layerNorm(rt, x!, g!, b!, { eps: 1e-5 }) : ops.rmsNorm(rt, x!, g!, { eps: 1e-6 })),
          ([x, g, b]) => (op === 'layerNorm' ? ref.layerNormRef(x as HostTensor, g as HostTensor, b as HostTensor, { eps: 1e-5 }) : ref.rmsNormRef(x as HostTensor, g as HostTensor, { eps: 1e-6 })),
        ),
      );
    }
  }

  // embedding: i32 ids with negative and too-large ids, u32 ids past 2^31, a scalar id.
  const embs: { V: number; D: number; ids: number[]; idShape: number[]; dtype: 'i32' | 'u32' }[] = [
    { V: 50, D: 7, ids: [0, 49, -1, 50, 1000, 3, 3, 17, -2147483648, 25, 1, 2], idShape: [3, 4], dtype: 'i32' },
    { V: 20, D: 257, ids: [19, 0, 2147483648, 4294967295, 5, 20, 7, 7, 1], idShape: [9], dtype: 'u32' },
    { V: 4, D: 3, ids: [2], idShape: [], dtype: 'i32' },
  ];
  for (const e of embs) {
    const label = `[${e.V},${e.D}][${e.dtype} ${shp(e.idShape)}]`;
    cases.push(
      makeCase(
        'embedding',
        label,
        EXACT,
        () => [uniform(`emb${label}`, [e.V, e.D]), { data: e.dtype === 'i32' ? Int32Array.from(e.ids) : Uint32Array.from(e.ids), shape: e.idShape }],
        (rt, [t, ids]) => ops.embedding(rt, t!, ids!),
        ([t, ids]) => ref.embeddingRef(t as HostTensor, ids as HostTensor<Int32Array | Uint32Array>),
      ),
    );
  }

  // argmax: values on a coarse grid so ties are frequent, long rows, a 1-element row.
  for (const s of [[5, 7], [3, 257], [1], [2, 3, 1000]]) {
    const label = shp(s);
    cases.push(
      makeCase('argmax', label, EXACT, () => [uniform(`argmax${label}`, s, -1, 1, 0.25)], (rt, [x]) => ops.argmax(rt, x!), ([x]) => ref.argmaxRef(x as HostTensor)),
    );
  }
  cases.push(
    makeCase(
      'argmax',
      'NaN and -inf rows',
      EXACT,
      () => {
        const x = uniform('argmax-nan', [4, 300], -1, 1, 0.5);
        x.data[5] = NaN;
        x.data[9] = NaN;
        x.data.fill(-Infinity, 300, 600);
        x.data[300 + 299] = -1e30;
        x.data[600 + 250] = NaN;
        x.data.fill(7, 900, 1200);
        return [x];
      },
      (rt, [x]) => ops.argmax(rt, x!),
      ([x]) => ref.argmaxRef(x as HostTensor),
    ),
  );

  // transpose: 2-D, 3-D, rank 6, the identity, an i32 tensor, 257 rows.
  const trs: { s: number[]; perm: number[]; dtype?: 'i32' }[] = [
    { s: [3, 4], perm: [1, 0] },
    { s: [2, 3, 4], perm: [2, 0, 1] },
    { s: [2, 3, 1, 4, 2, 3], perm: [5, 3, 0, 2, 4, 1] },
    { s: [7, 9], perm: [0, 1] },
    { s: [5, 6, 7], perm: [1, 2, 0], dtype: 'i32' },
    { s: [257, 3], perm: [1, 0] },
  ];
  for (const t of trs) {
    const label = `${shp(t.s)} perm ${shp(t.perm)}${t.dtype ? ` ${t.dtype}` : ''}`;
    cases.push(
      makeCase(
        'transpose',
        label,
        EXACT,
        () => {
          const f = uniform(`tr${label}`, t.s, -1000, 1000);
          return [t.dtype === 'i32' ? { data: Int32Array.from(f.data, Math.round), shape: t.s } : f];
        },
        (rt, [x]) => ops.transpose(rt, x!, t.perm),
        ([x]) => ref.transposeRef(x!, t.perm),
      ),
    );
  }
  if (!opts.features) return cases;
  const have = new Set(opts.features);
  return cases.filter((c) => (c.requires ?? []).every((f) => have.has(f)));
}

// ---------------------------------------------------------------------------------------------
// The runner.

/** Compares got against want under the tolerance; never throws for a numeric mismatch. */
export function compare(got: HostData, want: HostData, tol: Tolerance): { maxAbsErr: number; maxRelErr: number; bad: number; firstBad: number } {
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let bad = 0;
  let firstBad = -1;
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const g = got[i];
    const w = want[i];
    let ok: boolean;
    let err: number;
    if (g === undefined || w === undefined) {
      ok = false;
      err = Infinity;
    } else if (Number.isNaN(w) || Number.isNaN(g)) {
      ok = Number.isNaN(w) && Number.isNaN(g);
      err = ok ? 0 : Infinity;
    } else if (g === w) {
      ok = true;
      err = 0;
    } else {
      err = Math.abs(g - w);
      ok = !tol.exact && err <= tol.abs + tol.rel * Math.abs(w);
    }
    if (!(err <= maxAbsErr)) maxAbsErr = err;
    if (w !== undefined && Math.abs(w) >= 1e-3 && err / Math.abs(w) > maxRelErr) maxRelErr = err / Math.abs(w);
    if (!ok) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  return { maxAbsErr, maxRelErr, bad, firstBad };
}

/** Runs one case on `rt` and reports errors against the reference. A thrown error fails the case. */
export async function runKernelCase(rt: GpuRuntime, c: KernelCase): Promise<KernelCaseResult> {
  let r: Awaited<ReturnType<KernelCase['run']>>;
  try {
    r = await c.run(rt);
  } catch (e) {
    const err = e as Error;
    return { name: c.name, maxAbsErr: Infinity, maxRelErr: Infinity, tolerance: c.tolerance, pass: false, detail: `threw ${err.name}: ${err.message}` };
  }
  const sameShape = r.shape.length === r.wantShape.length && r.shape.every((d, i) => d === r.wantShape[i]);
  const cmp = compare(r.got, r.want, c.tolerance);
  const pass = sameShape && cmp.bad === 0;
  let detail: string;
  if (!sameShape) detail = `shape ${shp(r.shape)} but the reference gives ${shp(r.wantShape)}`;
  else if (cmp.bad) detail = `${cmp.bad}/${r.want.length} elements off; first at flat index ${cmp.firstBad}: got ${r.got[cmp.firstBad]}, want ${r.want[cmp.firstBad]}`;
  else detail = `${r.want.length} elements within tolerance`;
  return { name: c.name, maxAbsErr: cmp.maxAbsErr, maxRelErr: cmp.maxRelErr, tolerance: c.tolerance, pass, detail };
}
