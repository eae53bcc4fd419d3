/**
 * The TensorFlow.js side of the benchmark: its WebGPU backend on the same adapter, the same
 * matmul, and the digits CNN rebuilt with TF.js ops from tabmesh's weights.
 *
 * Fallback adapters: TF.js 4.22 registers 'webgpu' whenever `navigator.gpu` exists and asks for
 * `requestAdapter({ powerPreference: 'high-performance' })` (or 'low-power' with the flag
 * WEBGPU_USE_LOW_POWER_GPU). It never passes `forceFallbackAdapter` and never looks at
 * `isFallbackAdapter`, so on a machine whose only adapter is SwiftShader it simply gets that
 * adapter: no flag is needed. It requires 'timestamp-query' when offered (SwiftShader offers it)
 * and raises its device limits to the adapter's.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type { AdapterJson, TfjsInfo } from './common.ts';

/**
 * Initialises TF.js's WebGPU backend. `flags` (tf.env() flags such as
 * WEBGPU_CONV_SEPARATE_IM2COL_SHADER) are empty by default: the benchmark measures what users
 * get; the driver's --tfjs-flag option sets them for experiments.
 */
export async function initTfjs(flags: Record<string, number | boolean | string> = {}): Promise<TfjsInfo> {
  for (const [k, v] of Object.entries(flags)) tf.env().set(k, v);
  const ok = await tf.setBackend('webgpu');
  await tf.ready();
  if (!ok || tf.getBackend() !== 'webgpu') throw new Error(`TF.js could not start its WebGPU backend (got ${tf.getBackend()})`);
  const backend = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; description?: string } };
  const info = backend.adapterInfo ?? {};
  const adapter: Partial<AdapterJson> = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
  };
  return { backend: tf.getBackend(), version: tf.version_core, adapter, flags: { ...flags } };
}

// ---------------------------------------------------------------------------------------------
// matmul

export class TfjsMatmul {
  readonly #a: tf.Tensor2D;
  readonly #b: tf.Tensor2D;

  constructor(n: number, a: Float32Array, b: Float32Array) {
    // Upload happens here, outside every timed region.
    this.#a = tf.tensor2d(a, [n, n], 'float32');
    this.#b = tf.tensor2d(b, [n, n], 'float32');
  }

  /** The product read back (correctness reference). */
  async product(): Promise<Float32Array> {
    const c = tf.matMul(this.#a, this.#b);
    try {
      return (await c.data()) as Float32Array;
    } finally {
      c.dispose();
    }
  }

  /** One timed rep: `launches` back-to-back products, then one read of the last. */
  async rep(launches: number): Promise<number> {
    const outs: tf.Tensor[] = [];
    const t0 = performance.now();
    for (let i = 0; i < launches; i++) outs.push(tf.matMul(this.#a, this.#b));
    await outs[outs.length - 1]!.data();
    const ms = performance.now() - t0;
    for (const o of outs) o.dispose();
    return ms;
  }

  dispose(): void {
    this.#a.dispose();
    this.#b.dispose();
  }
}

/** The fixed cost of one request: relu over a small vector, then its readback. */
export class TfjsRoundTrip {
  readonly #x: tf.Tensor1D;

  constructor(data: Float32Array) {
    this.#x = tf.tensor1d(data);
  }

  async rep(): Promise<number> {
    const t0 = performance.now();
    const y = tf.relu(this.#x);
    await y.data();
    const ms = performance.now() - t0;
    y.dispose();
    return ms;
  }

  dispose(): void {
    this.#x.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// digits CNN

export interface WeightLike {
  shape: readonly number[];
  data: Float32Array;
}

export interface TfjsClassification {
  logits: Float32Array;
  probs: Float32Array;
  argmax: Int32Array;
}

/**
 * The digits CNN of src/models/digits/graph.ts in TF.js:
 *   conv(k×k, same) + bias + relu → maxpool 2 → conv + bias + relu → maxpool 2 → flatten
 *   → dense + bias + relu → dense + bias → logits, then softmax and argmax.
 *
 * Layout: tabmesh is NCHW with conv weights [O, I, kh, kw] and flattens (c, h, w); TF.js's WebGPU
 * convolutions are NHWC with filters [kh, kw, I, O] and flatten (h, w, c). So, once and outside
 * every timed region: conv weights are transposed to [kh, kw, I, O], and fc1's rows are permuted
 * from (c, h, w) to (h, w, c) order, which makes the NHWC flatten feed fc1 exactly what the NCHW
 * flatten feeds it in tabmesh. The input is NCHW; with C = 1 it is bit-for-bit NHWC and needs only
 * a reshape (for C > 1 a transpose runs inside the timed region, as part of the model).
 *
 * Bias + relu use TF.js's fused conv2d / matMul, its fastest path, as tabmesh fuses them too.
 */
export class TfjsDigits {
  readonly #w: Record<'c1w' | 'c1b' | 'c2w' | 'c2b' | 'f1w' | 'f1b' | 'f2w' | 'f2b', tf.Tensor>;
  readonly #inShape: [number, number, number];
  readonly #pad1: number;
  readonly #pad2: number;
  readonly classes: number;

  constructor(weights: ReadonlyMap<string, WeightLike>, inputShape: readonly number[]) {
    const get = (name: string): WeightLike => {
      const w = weights.get(name);
      if (!w) throw new Error(`digits model has no tensor ${name}`);
      return w;
    };
    const [c, h, wd] = inputShape as [number, number, number];
    this.#inShape = [c, h, wd];
    const c1 = get('conv1.weight');
    const c2 = get('conv2.weight');
    const f1 = get('fc1.weight');
    const f2 = get('fc2.weight');
    const c2out = c2.shape[0]!;
    const h2 = Math.floor(h / 4);
    const w2 = Math.floor(wd / 4);
    const hidden = f1.shape[1]!;
    if (f1.shape[0] !== c2out * h2 * w2) throw new Error(`fc1.weight has ${f1.shape[0]} rows, expected ${c2out}×${h2}×${w2}`);
    this.#pad1 = (c1.shape[2]! - 1) / 2;
    this.#pad2 = (c2.shape[2]! - 1) / 2;
    this.classes = f2.shape[1]!;

    // fc1 rows: (c, y, x) → (y, x, c)
    const f1p = new Float32Array(f1.data.length);
    for (let ch = 0; ch < c2out; ch++)
      for (let y = 0; y < h2; y++)
        for (let x = 0; x < w2; x++) {
          const src = (ch * h2 * w2 + y * w2 + x) * hidden;
          const dst = ((y * w2 + x) * c2out + ch) * hidden;
          f1p.set(f1.data.subarray(src, src + hidden), dst);
        }

    const convFilter = (w: WeightLike): tf.Tensor4D =>
      tf.tidy(() => tf.transpose(tf.tensor4d(w.data, w.shape as [number, number, number, number]), [2, 3, 1, 0]));
    this.#w = {
      c1w: convFilter(c1),
      c1b: tf.tensor1d(get('conv1.bias').data),
      c2w: convFilter(c2),
      c2b: tf.tensor1d(get('conv2.bias').data),
      f1w: tf.tensor2d(f1p, [f1.shape[0]!, hidden]),
      f1b: tf.tensor1d(get('fc1.bias').data),
      f2w: tf.tensor2d(f2.data, [f2.shape[0]!, f2.shape[1]!]),
      f2b: tf.tensor1d(get('fc2.bias').data),
    };
  }

  /** Upload + forward + softmax + argmax + readback, like tabmesh's classify(). */
  async classify(input: Float32Array, batch: number): Promise<TfjsClassification> {
    const [c, h, w] = this.#inShape;
    const W = this.#w;
    const [logits, probs, top] = tf.tidy(() => {
      const nchw = tf.tensor4d(input, [batch, c, h, w]);
      const x = c === 1 ? tf.reshape(nchw, [batch, h, w, 1]) : tf.transpose(nchw, [0, 2, 3, 1]);
      const a1 = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: W.c1w as tf.Tensor4D, strides: 1, pad: this.#pad1, bias: W.c1b, activation: 'relu' });
      const p1 = tf.maxPool(a1, 2, 2, 'valid');
      const a2 = tf.fused.conv2d({ x: p1, filter: W.c2w as tf.Tensor4D, strides: 1, pad: this.#pad2, bias: W.c2b, activation: 'relu' });
      const p2 = tf.maxPool(a2, 2, 2, 'valid');
      const flat = tf.reshape(p2, [batch, -1]);
      const hdn = tf.fused.matMul({ a: flat, b: W.f1w, bias: W.f1b, activation: 'relu' });
      const lg = tf.fused.matMul({ a: hdn, b: W.f2w, bias: W.f2b });
      return [lg, tf.softmax(lg), tf.argMax(lg, 1)];
    });
    try {
      const [l, p, a] = await Promise.all([logits.data(), probs.data(), top.data()]);
      return { logits: l as Float32Array, probs: p as Float32Array, argmax: a as Int32Array };
    } finally {
      logits.dispose();
      probs.dispose();
      top.dispose();
    }
  }

  dispose(): void {
    for (const t of Object.values(this.#w)) t.dispose();
  }
}
