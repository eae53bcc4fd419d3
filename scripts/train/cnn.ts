/**
 * The digits CNN on the CPU, for training: parameters, a per-sample forward pass that keeps what
 * the backward pass needs, and the backward pass accumulating gradients. Plain typed arrays, one
 * thread, fixed loop order: the same inputs give bit-identical results on every run.
 *
 * Graph (NCHW, row-major, f32; the runtime's digits-cnn graph must match it op for op):
 *   x [1,28,28] -> conv1 5x5 pad 2 (1->8) -> relu -> maxpool 2 -> [8,14,14]
 *   -> conv2 5x5 pad 2 (8->16) -> relu -> maxpool 2 -> [16,7,7] -> flatten (c,h,w) -> 784
 *   -> fc1 (weight [784,64], i.e. [in,out]) -> relu -> fc2 (weight [64,10]) -> logits (softmax)
 *
 * Convolutions go through a precomputed im2col gather table stored patch-major ([P, K]), so the
 * forward pass is dot products over contiguous rows and the backward pass, which only sees the
 * positions that won a max-pool and were positive, touches contiguous rows too.
 *
 * @example
 * ```ts
 * const params = initParams(1);
 * const ws = createWorkspace();
 * const logits = forward(params, input784, ws);
 * const loss = backward(params, ws, label, 1 / batchSize, grads);
 * ```
 */
import { deriveSeed, mulberry32 } from '../../src/models/digits/dataset.ts';

/** Hyper-parameters of the shipped architecture (also written to the manifest's `config`). */
export const DIGITS_CNN_CONFIG = {
  inputChannels: 1,
  inputHeight: 28,
  inputWidth: 28,
  conv1OutChannels: 8,
  conv1Kernel: 5,
  conv1Padding: 2,
  conv1Stride: 1,
  conv2OutChannels: 16,
  conv2Kernel: 5,
  conv2Padding: 2,
  conv2Stride: 1,
  poolKernel: 2,
  poolStride: 2,
  fc1Units: 64,
  numClasses: 10,
  activation: 'relu',
  layout: 'NCHW',
  denseWeightLayout: 'in,out',
  flattenOrder: 'c,h,w',
  output: 'logits',
} as const;

const H0 = 28; // input side
const H1 = 14; // after pool1
const H2 = 7; // after pool2
const K = 5; // kernel side
const PAD = 2;
const C1 = 8;
const C2 = 16;
const K1 = K * K; // conv1 patch length (1 input channel)
const K2 = C1 * K * K; // conv2 patch length
const P1 = H0 * H0; // conv1 output positions
const P2 = H1 * H1; // conv2 output positions
const FLAT = C2 * H2 * H2; // 784
const HIDDEN = 64;
const CLASSES = 10;

/** Tensor names and shapes in file order; weights use the layouts the runtime expects. */
export const DIGITS_CNN_TENSORS = [
  { name: 'conv1.weight', shape: [C1, 1, K, K], fanIn: K1 },
  { name: 'conv1.bias', shape: [C1], fanIn: 0 },
  { name: 'conv2.weight', shape: [C2, C1, K, K], fanIn: K2 },
  { name: 'conv2.bias', shape: [C2], fanIn: 0 },
  { name: 'fc1.weight', shape: [FLAT, HIDDEN], fanIn: FLAT },
  { name: 'fc1.bias', shape: [HIDDEN], fanIn: 0 },
  { name: 'fc2.weight', shape: [HIDDEN, CLASSES], fanIn: HIDDEN },
  { name: 'fc2.bias', shape: [CLASSES], fanIn: 0 },
] as const;

export type DigitsTensorName = (typeof DIGITS_CNN_TENSORS)[number]['name'];

/** All parameters in one flat array (so the optimizer is one loop) plus a view per tensor. */
export interface DigitsParams {
  flat: Float32Array;
  tensors: Record<DigitsTensorName, Float32Array>;
}

/** Gradients, laid out like {@link DigitsParams} but accumulated in f64. */
export interface DigitsGrads {
  flat: Float64Array;
  tensors: Record<DigitsTensorName, Float64Array>;
}

function layout<T extends Float32Array | Float64Array>(flat: T): Record<DigitsTensorName, T> {
  const views = {} as Record<DigitsTensorName, T>;
  let offset = 0;
  for (const t of DIGITS_CNN_TENSORS) {
    const n = t.shape.reduce((a: number, b: number) => a * b, 1);
    views[t.name] = flat.subarray(offset, offset + n) as T;
    offset += n;
  }
  return views;
}

/** Total number of parameters. */
export const DIGITS_PARAM_COUNT = DIGITS_CNN_TENSORS.reduce((sum, t) => sum + t.shape.reduce((a: number, b: number) => a * b, 1), 0);

/** Zeroed parameters. */
export function createParams(): DigitsParams {
  const flat = new Float32Array(DIGITS_PARAM_COUNT);
  return { flat, tensors: layout(flat) };
}

/** Zeroed gradients. */
export function createGrads(): DigitsGrads {
  const flat = new Float64Array(DIGITS_PARAM_COUNT);
  return { flat, tensors: layout(flat) };
}

/**
 * He-uniform initialisation from `seed`: weights ~ U(-sqrt(6/fanIn), +sqrt(6/fanIn)), biases 0.
 * Uniform rather than normal so no transcendental function (whose last bit may differ between
 * engines) enters the initial weights.
 */
export function initParams(seed: number): DigitsParams {
  const params = createParams();
  const next = mulberry32(deriveSeed(seed, 2));
  for (const t of DIGITS_CNN_TENSORS) {
    if (t.fanIn === 0) continue;
    const bound = Math.sqrt(6 / t.fanIn);
    const w = params.tensors[t.name];
    for (let i = 0; i < w.length; i++) w[i] = ((next() / 4294967296) * 2 - 1) * bound;
  }
  return params;
}

/** Activations of one sample, kept by {@link forward} for {@link backward}. Reuse it across samples. */
export interface Workspace {
  input: Float32Array;
  cols1: Float32Array;
  act1: Float32Array;
  pool1: Float32Array;
  arg1: Int32Array;
  cols2: Float32Array;
  act2: Float32Array;
  pool2: Float32Array;
  arg2: Int32Array;
  hidden: Float32Array;
  logits: Float64Array;
  // backward scratch
  dHidden: Float64Array;
  dPool1: Float64Array;
  acc: Float64Array;
}

/** A workspace for one sample at a time. */
export function createWorkspace(): Workspace {
  return {
    input: new Float32Array(P1),
    cols1: new Float32Array(P1 * K1),
    act1: new Float32Array(C1 * P1),
    pool1: new Float32Array(C1 * P2),
    arg1: new Int32Array(C1 * P2),
    cols2: new Float32Array(P2 * K2),
    act2: new Float32Array(C2 * P2),
    pool2: new Float32Array(FLAT),
    arg2: new Int32Array(FLAT),
    hidden: new Float32Array(HIDDEN),
    logits: new Float64Array(CLASSES),
    dHidden: new Float64Array(HIDDEN),
    dPool1: new Float64Array(C1 * P2),
    acc: new Float64Array(HIDDEN),
  };
}

/**
 * im2col gather table for a 'same' 5x5 convolution over `channels` planes of side `side`:
 * entry [p, k] is the index into the input (c*side*side + y*side + x) or -1 for zero padding.
 */
function gatherTable(channels: number, side: number): Int32Array {
  const kLen = channels * K * K;
  const table = new Int32Array(side * side * kLen);
  for (let oy = 0; oy < side; oy++) {
    for (let ox = 0; ox < side; ox++) {
      const row = (oy * side + ox) * kLen;
      for (let c = 0; c < channels; c++) {
        for (let ky = 0; ky < K; ky++) {
          for (let kx = 0; kx < K; kx++) {
            const y = oy + ky - PAD;
            const x = ox + kx - PAD;
            const inside = y >= 0 && y < side && x >= 0 && x < side;
            table[row + c * K * K + ky * K + kx] = inside ? c * side * side + y * side + x : -1;
          }
        }
      }
    }
  }
  return table;
}

const GATHER1 = gatherTable(1, H0);
const GATHER2 = gatherTable(C1, H1);

function im2col(src: Float32Array, table: Int32Array, cols: Float32Array): void {
  for (let i = 0; i < table.length; i++) {
    const j = table[i] as number;
    cols[i] = j < 0 ? 0 : (src[j] as number);
  }
}

/**
 * out[o, p] = relu(bias[o] + dot(weight[o, :], cols[p, :])), four output channels per pass so
 * each patch element is loaded once for four products (outChannels must be a multiple of 4).
 */
function convRelu(cols: Float32Array, weight: Float32Array, bias: Float32Array, out: Float32Array, positions: number, kLen: number, outChannels: number): void {
  for (let p = 0; p < positions; p++) {
    const row = p * kLen;
    for (let o = 0; o < outChannels; o += 4) {
      const w0 = o * kLen;
      const w1 = w0 + kLen;
      const w2 = w1 + kLen;
      const w3 = w2 + kLen;
      let s0 = bias[o] as number;
      let s1 = bias[o + 1] as number;
      let s2 = bias[o + 2] as number;
      let s3 = bias[o + 3] as number;
      for (let k = 0; k < kLen; k++) {
        const c = cols[row + k] as number;
        s0 += (weight[w0 + k] as number) * c;
        s1 += (weight[w1 + k] as number) * c;
        s2 += (weight[w2 + k] as number) * c;
        s3 += (weight[w3 + k] as number) * c;
      }
      out[o * positions + p] = s0 > 0 ? s0 : 0;
      out[(o + 1) * positions + p] = s1 > 0 ? s1 : 0;
      out[(o + 2) * positions + p] = s2 > 0 ? s2 : 0;
      out[(o + 3) * positions + p] = s3 > 0 ? s3 : 0;
    }
  }
}

/** 2x2 stride-2 max pool per plane; `arg` records the winning index within the plane (first max wins). */
function maxPool(src: Float32Array, channels: number, side: number, out: Float32Array, arg: Int32Array): void {
  const half = side >> 1;
  for (let c = 0; c < channels; c++) {
    const plane = c * side * side;
    for (let oy = 0; oy < half; oy++) {
      for (let ox = 0; ox < half; ox++) {
        const first = oy * 2 * side + ox * 2;
        let best = first;
        let bestValue = src[plane + first] as number;
        // Scan order: top-left, top-right, bottom-left, bottom-right; strict '>' keeps the first max.
        for (let q = 1; q < 4; q++) {
          const at = first + (q >> 1) * side + (q & 1);
          const v = src[plane + at] as number;
          if (v > bestValue) {
            bestValue = v;
            best = at;
          }
        }
        const o = c * half * half + oy * half + ox;
        out[o] = bestValue;
        arg[o] = best;
      }
    }
  }
}

/**
 * Forward pass of one sample. `input` is [1,28,28] f32 (pixel/255), copied into the workspace.
 * Returns the workspace's logits (valid until the next call).
 */
export function forward(params: DigitsParams, input: Float32Array, ws: Workspace): Float64Array {
  const t = params.tensors;
  ws.input.set(input.subarray(0, P1));
  im2col(ws.input, GATHER1, ws.cols1);
  convRelu(ws.cols1, t['conv1.weight'], t['conv1.bias'], ws.act1, P1, K1, C1);
  maxPool(ws.act1, C1, H0, ws.pool1, ws.arg1);
  im2col(ws.pool1, GATHER2, ws.cols2);
  convRelu(ws.cols2, t['conv2.weight'], t['conv2.bias'], ws.act2, P2, K2, C2);
  maxPool(ws.act2, C2, H1, ws.pool2, ws.arg2);

  // fc1: rows of the [in, out] weight scaled by each non-zero input (relu leaves many zeros).
  const w1 = t['fc1.weight'];
  const acc = ws.acc;
  for (let j = 0; j < HIDDEN; j++) acc[j] = t['fc1.bias'][j] as number;
  for (let i = 0; i < FLAT; i++) {
    const v = ws.pool2[i] as number;
    if (v === 0) continue;
    const row = i * HIDDEN;
    for (let j = 0; j < HIDDEN; j++) acc[j] = (acc[j] as number) + v * (w1[row + j] as number);
  }
  for (let j = 0; j < HIDDEN; j++) {
    const s = acc[j] as number;
    ws.hidden[j] = s > 0 ? s : 0;
  }

  const w2 = t['fc2.weight'];
  for (let j = 0; j < CLASSES; j++) {
    let s = t['fc2.bias'][j] as number;
    for (let i = 0; i < HIDDEN; i++) s += (ws.hidden[i] as number) * (w2[i * CLASSES + j] as number);
    // Rounded to f32 like every other activation, so train-time and shipped-graph logits agree.
    ws.logits[j] = Math.fround(s);
  }
  return ws.logits;
}

/** Index of the largest logit (first wins on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** Softmax cross-entropy of the workspace's logits against `label`; also fills `probs` if given. */
export function crossEntropy(logits: Float64Array, label: number, probs?: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < CLASSES; j++) max = Math.max(max, logits[j] as number);
  let sum = 0;
  for (let j = 0; j < CLASSES; j++) sum += Math.exp((logits[j] as number) - max);
  if (probs !== undefined) for (let j = 0; j < CLASSES; j++) probs[j] = Math.exp((logits[j] as number) - max) / sum;
  return -((logits[label] as number) - max - Math.log(sum));
}

const probsScratch = new Float64Array(CLASSES);

/**
 * Backward pass of the sample last given to {@link forward} with this workspace: adds
 * `scale * d(loss)/d(param)` to `grads` and returns the sample's loss. Use scale = 1/batch for a
 * mean loss. Only positions that won a max-pool with a positive value carry gradient, so the
 * loops visit those alone.
 */
export function backward(params: DigitsParams, ws: Workspace, label: number, scale: number, grads: DigitsGrads): number {
  const t = params.tensors;
  const g = grads.tensors;
  const loss = crossEntropy(ws.logits, label, probsScratch);
  const dLogits = probsScratch;
  for (let j = 0; j < CLASSES; j++) dLogits[j] = ((dLogits[j] as number) - (j === label ? 1 : 0)) * scale;

  // fc2
  const w2 = t['fc2.weight'];
  const gw2 = g['fc2.weight'];
  const dHidden = ws.dHidden;
  for (let j = 0; j < CLASSES; j++) g['fc2.bias'][j] = (g['fc2.bias'][j] as number) + (dLogits[j] as number);
  for (let i = 0; i < HIDDEN; i++) {
    const h = ws.hidden[i] as number;
    const row = i * CLASSES;
    let s = 0;
    for (let j = 0; j < CLASSES; j++) {
      const d = dLogits[j] as number;
      gw2[row + j] = (gw2[row + j] as number) + h * d;
      s += (w2[row + j] as number) * d;
    }
    dHidden[i] = h > 0 ? s : 0;
  }

  // fc1 -> gradient at pool2 outputs, pushed straight back to the conv2 position that won the pool.
  const w1 = t['fc1.weight'];
  const gw1 = g['fc1.weight'];
  const gb1 = g['fc1.bias'];
  for (let j = 0; j < HIDDEN; j++) gb1[j] = (gb1[j] as number) + (dHidden[j] as number);
  const dPool1 = ws.dPool1;
  dPool1.fill(0);
  const conv2w = t['conv2.weight'];
  const gConv2w = g['conv2.weight'];
  const gConv2b = g['conv2.bias'];
  const cols2 = ws.cols2;
  for (let i = 0; i < FLAT; i++) {
    const v = ws.pool2[i] as number;
    if (v === 0) continue; // relu was off at the winning position: no gradient flows
    const row = i * HIDDEN;
    let s = 0;
    for (let j = 0; j < HIDDEN; j++) {
      const d = dHidden[j] as number;
      gw1[row + j] = (gw1[row + j] as number) + v * d;
      s += (w1[row + j] as number) * d;
    }
    // conv2 output position of this pooled value, then its weight row and patch row.
    const o = (i / (H2 * H2)) | 0;
    const p = ws.arg2[i] as number;
    gConv2b[o] = (gConv2b[o] as number) + s;
    const wRow = o * K2;
    const cRow = p * K2;
    for (let k = 0; k < K2; k++) {
      gConv2w[wRow + k] = (gConv2w[wRow + k] as number) + s * (cols2[cRow + k] as number);
      const j = GATHER2[cRow + k] as number;
      if (j >= 0) dPool1[j] = (dPool1[j] as number) + s * (conv2w[wRow + k] as number);
    }
  }

  // pool1 -> conv1 (the input needs no gradient).
  const gConv1w = g['conv1.weight'];
  const gConv1b = g['conv1.bias'];
  const cols1 = ws.cols1;
  for (let i = 0; i < C1 * P2; i++) {
    const d = dPool1[i] as number;
    if (d === 0 || (ws.pool1[i] as number) === 0) continue;
    const o = (i / P2) | 0;
    const p = ws.arg1[i] as number;
    gConv1b[o] = (gConv1b[o] as number) + d;
    const wRow = o * K1;
    const cRow = p * K1;
    for (let k = 0; k < K1; k++) gConv1w[wRow + k] = (gConv1w[wRow + k] as number) + d * (cols1[cRow + k] as number);
  }
  return loss;
}
