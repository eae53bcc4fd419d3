/**
 * The digits CNN as a graph of WGSL ops:
 *   conv(5×5, same) + relu → maxpool 2 → conv(5×5, same) + relu → maxpool 2 → flatten
 *   → dense + relu → dense → logits
 * The layer sizes come from the weights' shapes, so a retrained model with other widths loads
 * without code changes; the checks below make a mismatched file fail loudly at load time.
 */
import type { GpuRuntime } from '../../gpu/runtime.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { conv2d, matmul, maxPool2d } from '../../gpu/ops/index.ts';
import { IncompatibleModelError } from '../errors.ts';
import type { LoadedModel, LoadedTensor } from '../load.ts';

export const DIGITS_TENSORS = ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'] as const;
export type DigitsTensorName = (typeof DIGITS_TENSORS)[number];

/** Layer geometry derived from (and checked against) the weight shapes. */
export interface DigitsGeometry {
  inChannels: number;
  height: number;
  width: number;
  conv1: { out: number; kernel: number; padding: number };
  conv2: { out: number; kernel: number; padding: number };
  hidden: number;
  classes: number;
  /** Features after the second pool: conv2.out × (H/4) × (W/4). */
  flat: number;
}

function need(tensors: ReadonlyMap<string, LoadedTensor>, name: DigitsTensorName): LoadedTensor {
  const t = tensors.get(name);
  if (!t) throw new IncompatibleModelError('digits-cnn', `has no tensor "${name}"`);
  return t;
}

function expectShape(name: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new IncompatibleModelError('digits-cnn', `tensor "${name}" has shape [${actual.join(',')}], the graph needs [${expected.join(',')}]`);
  }
}

/**
 * Derives the geometry from the weights and the model's input shape [C, H, W], checking every
 * tensor against it (a lying manifest could pair consistent-looking shapes with a graph they do
 * not fit).
 */
export function digitsGeometry(tensors: ReadonlyMap<string, LoadedTensor>, inputShape: readonly number[]): DigitsGeometry {
  const [inChannels, height, width] = inputShape as [number, number, number];
  const c1 = need(tensors, 'conv1.weight').shape;
  const c2 = need(tensors, 'conv2.weight').shape;
  const f1 = need(tensors, 'fc1.weight').shape;
  const f2 = need(tensors, 'fc2.weight').shape;
  const k1 = c1[2]!, k2 = c2[2]!;
  expectShape('conv1.weight', c1, [c1[0]!, inChannels, k1, k1]);
  expectShape('conv2.weight', c2, [c2[0]!, c1[0]!, k2, k2]);
  if (k1 % 2 === 0 || k2 % 2 === 0) throw new IncompatibleModelError('digits-cnn', `conv kernels must be odd for 'same' padding, got ${k1} and ${k2}`);
  if (inputShape.length !== 3) throw new IncompatibleModelError('digits-cnn', `input shape must be [C, H, W], got [${inputShape.join(',')}]`);
  const flat = c2[0]! * Math.floor(height / 4) * Math.floor(width / 4);
  expectShape('fc1.weight', f1, [flat, f1[1]!]);
  expectShape('fc2.weight', f2, [f1[1]!, f2[1]!]);
  expectShape('conv1.bias', need(tensors, 'conv1.bias').shape, [c1[0]!]);
  expectShape('conv2.bias', need(tensors, 'conv2.bias').shape, [c2[0]!]);
  expectShape('fc1.bias', need(tensors, 'fc1.bias').shape, [f1[1]!]);
  expectShape('fc2.bias', need(tensors, 'fc2.bias').shape, [f2[1]!]);
  return {
    inChannels,
    height,
    width,
    conv1: { out: c1[0]!, kernel: k1, padding: (k1 - 1) / 2 },
    conv2: { out: c2[0]!, kernel: k2, padding: (k2 - 1) / 2 },
    hidden: f1[1]!,
    classes: f2[1]!,
    flat,
  };
}

/** The digits weights resident on the GPU. */
export class DigitsGpuWeights {
  readonly geometry: DigitsGeometry;
  readonly #t: Record<DigitsTensorName, Tensor>;

  private constructor(geometry: DigitsGeometry, t: Record<DigitsTensorName, Tensor>) {
    this.geometry = geometry;
    this.#t = t;
  }

  /** Uploads a verified model's weights. */
  static upload(rt: GpuRuntime, model: LoadedModel): DigitsGpuWeights {
    const geometry = digitsGeometry(model.tensors, model.manifest.input.shape);
    const t = {} as Record<DigitsTensorName, Tensor>;
    for (const name of DIGITS_TENSORS) {
      const w = model.tensors.get(name)!;
      t[name] = rt.upload(w.data, w.shape, 'f32');
    }
    return new DigitsGpuWeights(geometry, t);
  }

  get(name: DigitsTensorName): Tensor {
    return this.#t[name];
  }

  release(): void {
    for (const name of DIGITS_TENSORS) if (!this.#t[name].released) this.#t[name].release();
  }
}

/**
 * Logits for a batch x [N, C, H, W] → [N, classes]. Intermediates are released as soon as the
 * next layer has been recorded (the runtime defers their reuse until the batch is submitted).
 */
export async function digitsLogits(rt: GpuRuntime, w: DigitsGpuWeights, x: Tensor): Promise<Tensor> {
  const g = w.geometry;
  const n = x.shape[0]!;
  const a1 = await conv2d(rt, x, w.get('conv1.weight'), { bias: w.get('conv1.bias'), padding: g.conv1.padding, activation: 'relu' });
  const p1 = await maxPool2d(rt, a1, { kernel: 2, stride: 2 });
  a1.release();
  const a2 = await conv2d(rt, p1, w.get('conv2.weight'), { bias: w.get('conv2.bias'), padding: g.conv2.padding, activation: 'relu' });
  p1.release();
  const p2 = await maxPool2d(rt, a2, { kernel: 2, stride: 2 });
  a2.release();
  const flat = p2.reshape([n, g.flat]);
  const h = await matmul(rt, flat, w.get('fc1.weight'), { bias: w.get('fc1.bias'), activation: 'relu' });
  flat.release();
  const logits = await matmul(rt, h, w.get('fc2.weight'), { bias: w.get('fc2.bias') });
  h.release();
  return logits;
}
