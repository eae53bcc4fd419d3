/**
 * The benchmark page (scripts/bench-gpu/index.html). It exposes `window.bench`, a set of small
 * steps that scripts/bench-gpu.ts calls one at a time through playwright, so the driver can
 * interleave contestants rep by rep and print progress. Every timing is taken here, in the page,
 * with performance.now(); nothing the driver does is inside a timed region.
 *
 * Timing methodology (identical for both libraries):
 * - Upload is excluded: operands and weights are on the GPU before timing starts.
 * - matmul: one rep = `launches` back-to-back products of the same operands, then one readback
 *   of the last product; the rep's time runs from the first launch until the bytes are on the
 *   host. Kernel time and one readback are included (with launches ≥ 1 sized so the readback
 *   is a small share). GFLOP/s = launches · 2n³ / time.
 * - digits: one rep = `calls` sequential classify calls of `batch` images each, each call being
 *   what an application does per request: upload the input, run the CNN, softmax and argmax,
 *   read logits, probabilities and argmax back. Images/s = calls · batch / time.
 * - Warm-up: every contestant runs once untimed per configuration (pipeline compilation, buffer
 *   pools), which is also when its answers are checked against the other library.
 * - The driver alternates contestants within each rep round (rotating the order), and reports
 *   the median over rounds; a matmul contestant slower than 3 s per rep stops after 3 rounds.
 * - Both libraries hold their own GPUDevice on the same adapter, as two tabs would; only one
 *   of them has work in flight at any time (each rep ends with a readback).
 */
import { loadModel } from '../../src/models/load.ts';
import { decodeDigitsDataset, imageToInput } from '../../src/models/digits/dataset.ts';
import {
  maxAbs,
  maxAbsDiff,
  median,
  mulberry32,
  uniformData,
  type AdapterJson,
  type DigitsCheck,
  type MatmulCheck,
  type TabmeshInfo,
  type TfjsInfo,
} from './common.ts';
import { TfjsDigits, TfjsMatmul, TfjsRoundTrip, initTfjs } from './tfjs-side.ts';
import { TabmeshDigits, TabmeshMatmul, TabmeshRoundTrip, initTabmesh, type TabmeshHandle } from './tabmesh-side.ts';

/** Elements of the round-trip probe (above TF.js's 1000-element CPU hand-off threshold). */
const ROUND_TRIP_ELEMENTS = 4096;

export interface BenchApi {
  adapter(): Promise<AdapterJson>;
  initTfjs(flags: Record<string, number | boolean | string>): Promise<TfjsInfo>;
  initTabmesh(): Promise<TabmeshInfo>;
  /** Uploads seeded n×n operands to both libraries, warms every contestant up and checks its product. */
  matmulSetup(n: number, launches: number): Promise<{ contestants: string[]; defaultVariant: string; checks: MatmulCheck[] }>;
  /** One timed rep of one contestant; returns milliseconds. */
  matmulRep(contestant: string, launches: number): Promise<number>;
  matmulTeardown(): Promise<void>;
  /**
   * Fixed cost of one request, per library: median ms of a relu over 4096 floats plus its
   * 16 KiB readback (interleaved reps after a warm-up). Explains small-batch results.
   */
  roundTrip(reps: number): Promise<{ tfjs: number; tabmesh: number }>;
  /** Loads the model once for both libraries, builds the inputs, checks both agree. */
  digitsSetup(opts: { manifestUrl: string; datasetUrl: string | null; samples: number; marginTol: number }): Promise<DigitsCheck>;
  /** One timed rep: `calls` classify calls of `batch` images; returns milliseconds. */
  digitsRep(contestant: 'tfjs' | 'tabmesh', batch: number, calls: number): Promise<number>;
  digitsTeardown(): Promise<void>;
}

declare global {
  interface Window {
    bench?: BenchApi;
    benchReady?: boolean;
    benchError?: string;
  }
}

let tabmesh: TabmeshHandle | null = null;
let mm: { n: number; tfjs: TfjsMatmul; tabmesh: TabmeshMatmul } | null = null;
let digits: { tfjs: TfjsDigits; tabmesh: TabmeshDigits; inputs: Float32Array; samples: number; sampleSize: number } | null = null;

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`${what} is not set up`);
  return v;
}

async function adapter(): Promise<AdapterJson> {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing: WebGPU is not enabled in this browser');
  const a = await navigator.gpu.requestAdapter();
  if (!a) throw new Error('navigator.gpu.requestAdapter() returned null: no WebGPU adapter');
  const i = a.info;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isFallbackAdapter: Boolean((i as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (a as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...a.features].map(String).sort(),
  };
}

function relErr(c: Float32Array, ref: Float32Array): number {
  return maxAbsDiff(c, ref) / Math.max(maxAbs(ref), 1e-30);
}

const api: BenchApi = {
  adapter,
  initTfjs,

  async initTabmesh() {
    tabmesh = await initTabmesh();
    return tabmesh.info;
  },

  async matmulSetup(n, launches) {
    const t = need(tabmesh, 'tabmesh');
    const a = uniformData(n * n, 1000 + n);
    const b = uniformData(n * n, 2000 + n);
    const tfjs = new TfjsMatmul(n, a, b);
    const tm = new TabmeshMatmul(t, n, a, b);
    mm = { n, tfjs, tabmesh: tm };
    // 16 entries recomputed on the CPU in f64: every product, TF.js's included, is checked
    // against them; tabmesh's are also compared in full against TF.js's.
    const pick = mulberry32(n);
    const probes: { idx: number; want: number }[] = [];
    for (let s = 0; s < 16; s++) {
      const i = pick() % n;
      const j = pick() % n;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += a[i * n + k]! * b[k * n + j]!;
      probes.push({ idx: i * n + j, want: acc });
    }
    const ref = await tfjs.product();
    const scale = Math.max(maxAbs(ref), 1e-30);
    const cpuErr = (c: Float32Array): number => Math.max(...probes.map((p) => Math.abs(c[p.idx]! - p.want))) / scale;
    const checks: MatmulCheck[] = [{ contestant: 'tfjs', maxRelErr: cpuErr(ref), vsCpu: cpuErr(ref) }];
    // The checked product was each contestant's warm-up (pipeline compiled, caches warm); with
    // several launches per rep, one more untimed rep fills the buffer pools as well.
    if (launches > 1) await tfjs.rep(launches);
    for (const c of tm.contestants) {
      const got = await tm.product(c);
      checks.push({ contestant: c, maxRelErr: Math.max(relErr(got, ref), cpuErr(got)), vsCpu: cpuErr(got) });
      if (launches > 1) await tm.rep(c, launches);
    }
    return { contestants: ['tfjs', ...tm.contestants], defaultVariant: tm.defaultVariant, checks };
  },

  async matmulRep(contestant, launches) {
    const m = need(mm, 'matmul');
    return contestant === 'tfjs' ? m.tfjs.rep(launches) : m.tabmesh.rep(contestant, launches);
  },

  async matmulTeardown() {
    mm?.tfjs.dispose();
    mm?.tabmesh.dispose();
    mm = null;
  },

  async roundTrip(reps) {
    const t = need(tabmesh, 'tabmesh');
    const data = uniformData(ROUND_TRIP_ELEMENTS, 1);
    const tfjs = new TfjsRoundTrip(data);
    const tm = new TabmeshRoundTrip(t, data);
    try {
      await tfjs.rep();
      await tm.rep();
      const x: number[] = [];
      const y: number[] = [];
      for (let r = 0; r < reps; r++) {
        x.push(await tfjs.rep());
        y.push(await tm.rep());
      }
      return { tfjs: median(x), tabmesh: median(y) };
    } finally {
      tfjs.dispose();
      tm.dispose();
    }
  },

  async digitsSetup({ manifestUrl, datasetUrl, samples, marginTol }) {
    const t = need(tabmesh, 'tabmesh');
    const model = await loadModel({ manifestUrl: new URL(manifestUrl, location.href) });
    const inputShape = model.manifest.input.shape;
    const sampleSize = inputShape.reduce((x, y) => x * y, 1);
    const inputs = new Float32Array(samples * sampleSize);
    let labels: Uint8Array | null = null;
    let inputsDesc: string;
    if (datasetUrl) {
      const res = await fetch(datasetUrl);
      if (!res.ok) throw new Error(`${datasetUrl}: HTTP ${res.status}`);
      const set = decodeDigitsDataset(new Uint8Array(await res.arrayBuffer()));
      if (set.count < samples) throw new Error(`${datasetUrl} has ${set.count} images, need ${samples}`);
      for (let i = 0; i < samples; i++) imageToInput(set, i, inputs, i * sampleSize);
      labels = set.labels.subarray(0, samples);
      inputsDesc = `first ${samples} images of ${datasetUrl}`;
    } else {
      // Seeded synthetic images: sparse strokes of ink in [0, 1].
      const next = mulberry32(7);
      for (let i = 0; i < inputs.length; i++) inputs[i] = next() % 5 === 0 ? (next() % 256) / 255 : 0;
      inputsDesc = `${samples} seeded synthetic images`;
    }
    const tfjs = new TfjsDigits(model.tensors, inputShape);
    const tm = await TabmeshDigits.create(t, model);
    digits = { tfjs, tabmesh: tm, inputs, samples, sampleSize };

    // Both on the same batch: logits, argmax, accuracy. Also batch 1 on sample 0 against row 0.
    const ours = await tm.classify(inputs, samples);
    const theirs = await tfjs.classify(inputs, samples);
    const classes = tfjs.classes;
    let maxLogitDiff = maxAbsDiff(ours.logits, theirs.logits);
    const one = await tm.classify(inputs.subarray(0, sampleSize), 1);
    const oneT = await tfjs.classify(inputs.subarray(0, sampleSize), 1);
    maxLogitDiff = Math.max(maxLogitDiff, maxAbsDiff(one.logits, theirs.logits.subarray(0, classes)), maxAbsDiff(oneT.logits, theirs.logits.subarray(0, classes)));
    let mismatches = 0;
    let serious = 0;
    let okOurs = 0;
    let okTheirs = 0;
    for (let s = 0; s < samples; s++) {
      const row = theirs.logits.subarray(s * classes, (s + 1) * classes);
      const sorted = [...row].sort((x, y) => y - x);
      if (ours.argmax[s] !== theirs.argmax[s]) {
        mismatches++;
        if (sorted[0]! - sorted[1]! > marginTol) serious++;
      }
      if (labels) {
        if (ours.argmax[s] === labels[s]) okOurs++;
        if (theirs.argmax[s] === labels[s]) okTheirs++;
      }
    }
    if (one.argmax[0] !== ours.argmax[0] || oneT.argmax[0] !== theirs.argmax[0]) serious++;
    await tm.classify(inputs.subarray(0, sampleSize), 1); // warm-up both batch sizes, both sides
    await tfjs.classify(inputs.subarray(0, sampleSize), 1);
    return {
      samples,
      classes,
      maxLogitDiff,
      argmaxMismatches: mismatches,
      seriousMismatches: serious,
      tabmeshAccuracy: labels ? okOurs / samples : null,
      tfjsAccuracy: labels ? okTheirs / samples : null,
      inputs: inputsDesc,
    };
  },

  async digitsRep(contestant, batch, calls) {
    const d = need(digits, 'digits');
    if (batch > d.samples) throw new Error(`batch ${batch} > ${d.samples} prepared samples`);
    const input = d.inputs.subarray(0, batch * d.sampleSize);
    const run = contestant === 'tfjs' ? (x: Float32Array, b: number) => d.tfjs.classify(x, b) : (x: Float32Array, b: number) => d.tabmesh.classify(x, b);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await run(input, batch);
    return performance.now() - t0;
  },

  async digitsTeardown() {
    digits?.tfjs.dispose();
    digits?.tabmesh.release();
    digits = null;
  },
};

window.bench = api;
window.benchReady = true;
document.getElementById('status')!.textContent = 'ready';
