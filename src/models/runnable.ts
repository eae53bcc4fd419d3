/**
 * A verified model made ready to run on a GPU runtime: weights uploaded, graph chosen by the
 * manifest's architecture. This is what the compute worker keeps per loaded model.
 */
import type { GpuRuntime } from '../gpu/runtime.ts';
import { argmax, softmax } from '../gpu/ops/index.ts';
import type { LoadedModel } from './load.ts';
import type { ModelManifest } from './manifest.ts';
import { DigitsGpuWeights, digitsLogits } from './digits/graph.ts';
import { IncompatibleModelError } from './errors.ts';

/** Largest number of samples launched at once; bigger units run in slices of this size. */
export const MAX_SLICE = 256;

export interface Classification {
  /** f32 [batch, classes] */
  logits: Float32Array;
  /** f32 [batch, classes], softmax of the logits */
  probs: Float32Array;
  argmax: Uint32Array;
  classes: number;
}

export interface ClassifyOptions {
  /** Called after each slice with the share of samples done. */
  onProgress?: (fraction: number) => void;
  /** Checked between slices: a cancelled unit stops at the next slice boundary. */
  signal?: AbortSignal;
}

/** A model resident on one runtime's device. */
export interface RunnableModel {
  readonly manifest: ModelManifest;
  /** Per-sample input element count (product of manifest.input.shape). */
  readonly sampleSize: number;
  classify(input: Float32Array, batch: number, opts?: ClassifyOptions): Promise<Classification>;
  release(): void;
}

/**
 * Uploads a model's weights and returns its runnable graph.
 *
 * @example
 * const model = await loadModel({ manifestUrl: '/models/digits-cnn/manifest.json' });
 * const runnable = prepareModel(rt, model);
 * const { argmax } = await runnable.classify(pixels, 1);
 */
export function prepareModel(rt: GpuRuntime, model: LoadedModel): RunnableModel {
  switch (model.manifest.architecture) {
    case 'digits-cnn':
      return new DigitsRunnable(rt, model);
    default:
      throw new IncompatibleModelError(String(model.manifest.architecture), 'has no graph in this build');
  }
}

class DigitsRunnable implements RunnableModel {
  readonly manifest: ModelManifest;
  readonly sampleSize: number;
  readonly #rt: GpuRuntime;
  readonly #weights: DigitsGpuWeights;

  constructor(rt: GpuRuntime, model: LoadedModel) {
    this.#rt = rt;
    this.manifest = model.manifest;
    this.sampleSize = model.manifest.input.shape.reduce((a, b) => a * b, 1);
    this.#weights = DigitsGpuWeights.upload(rt, model);
  }

  async classify(input: Float32Array, batch: number, opts: ClassifyOptions = {}): Promise<Classification> {
    if (input.length !== batch * this.sampleSize) {
      throw new RangeError(`input has ${input.length} values; ${batch} samples of [${this.manifest.input.shape.join(',')}] need ${batch * this.sampleSize}`);
    }
    const classes = this.#weights.geometry.classes;
    const logits = new Float32Array(batch * classes);
    const probs = new Float32Array(batch * classes);
    const top = new Uint32Array(batch);
    const rt = this.#rt;
    for (let start = 0; start < batch; start += MAX_SLICE) {
      opts.signal?.throwIfAborted();
      const n = Math.min(MAX_SLICE, batch - start);
      const x = rt.upload(input.subarray(start * this.sampleSize, (start + n) * this.sampleSize), [n, ...this.manifest.input.shape]);
      try {
        const l = await digitsLogits(rt, this.#weights, x);
        const p = await softmax(rt, l);
        const a = await argmax(rt, l);
        const [lv, pv, av] = await rt.readMany([l, p, a]);
        logits.set(lv!, start * classes);
        probs.set(pv!, start * classes);
        top.set(av!, start);
        l.release();
        p.release();
        a.release();
      } finally {
        x.release();
      }
      opts.onProgress?.((start + n) / batch);
    }
    return { logits, probs, argmax: top, classes };
  }

  release(): void {
    this.#weights.release();
  }
}
