/**
 * The training loop for the digits CNN: seeded shuffling, seeded small shifts as augmentation,
 * mini-batch Adam with a warm-up then linear decay of the learning rate, and evaluation.
 * Everything random comes from mulberry32 streams derived from one seed, and every reduction runs
 * in a fixed order, so two runs with the same seed and data produce bit-identical weights.
 *
 * @example
 * ```ts
 * const { params, history } = trainDigits(trainSet, { seed: 1, epochs: 12, evalSet: heldOutSet });
 * ```
 */
import { DIGITS_IMAGE_SIZE, DIGITS_PIXELS, deriveSeed, mulberry32, randomBelow, shuffleInPlace, type DigitsDataset } from '../../src/models/digits/dataset.ts';
import { adamStep, createAdam } from './adam.ts';
import { argmax, backward, createGrads, createWorkspace, crossEntropy, DIGITS_CNN_TENSORS, forward, initParams, type DigitsParams } from './cnn.ts';

/** Knobs of {@link trainDigits}; the defaults are what the shipped model was trained with. */
export interface TrainDigitsOptions {
  seed: number;
  epochs: number;
  batchSize?: number;
  /** Peak learning rate, reached after the warm-up. */
  learningRate?: number;
  /** The learning rate falls linearly to `learningRate * finalLearningRateFraction` at the last step. */
  finalLearningRateFraction?: number;
  warmupSteps?: number;
  /** AdamW decoupled weight decay on weights (not biases). */
  weightDecay?: number;
  /** Largest random translation in pixels (each axis, uniform in [-s, s]); 0 turns augmentation off. */
  augmentShift?: number;
  /** Evaluated after every epoch when given (never used for any training decision). */
  evalSet?: DigitsDataset;
  onEpoch?: (stats: EpochStats) => void;
}

/** What one epoch did. */
export interface EpochStats {
  epoch: number;
  /** Mean training loss over the epoch's (augmented) samples. */
  loss: number;
  /** Accuracy on the epoch's (augmented) training samples, as the model was updated. */
  trainAccuracy: number;
  /** Accuracy on `evalSet` after the epoch, when given. */
  evalAccuracy?: number;
  learningRate: number;
  seconds: number;
}

export const TRAIN_DEFAULTS = {
  batchSize: 32,
  learningRate: 2e-3,
  finalLearningRateFraction: 0.02,
  warmupSteps: 100,
  weightDecay: 1e-4,
  augmentShift: 2,
} as const;

/** Learning rate at `step` (0-based) of `totalSteps`: linear warm-up from 10%, then linear decay. */
export function learningRateAt(step: number, totalSteps: number, opts: Required<Pick<TrainDigitsOptions, 'learningRate' | 'finalLearningRateFraction' | 'warmupSteps'>>): number {
  const { learningRate: peak, finalLearningRateFraction: final, warmupSteps } = opts;
  if (step < warmupSteps) return peak * (0.1 + (0.9 * step) / warmupSteps);
  const span = Math.max(1, totalSteps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return peak * (1 - (1 - final) * progress);
}

/**
 * Writes image `index` of `set`, translated by (dx, dy) pixels with zero fill, into `out` as the
 * model's f32 input (pixel/255).
 */
export function shiftedInput(set: DigitsDataset, index: number, dx: number, dy: number, out: Float32Array): void {
  const side = DIGITS_IMAGE_SIZE;
  const base = index * DIGITS_PIXELS;
  for (let y = 0; y < side; y++) {
    const sy = y - dy;
    for (let x = 0; x < side; x++) {
      const sx = x - dx;
      out[y * side + x] = sy >= 0 && sy < side && sx >= 0 && sx < side ? (set.images[base + sy * side + sx] as number) / 255 : 0;
    }
  }
}

/** Accuracy and mean loss of `params` on a set (no augmentation). */
export function evaluate(params: DigitsParams, set: DigitsDataset): { accuracy: number; loss: number; predictions: Uint8Array } {
  const ws = createWorkspace();
  const input = new Float32Array(DIGITS_PIXELS);
  const predictions = new Uint8Array(set.count);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < set.count; i++) {
    shiftedInput(set, i, 0, 0, input);
    const logits = forward(params, input, ws);
    const label = set.labels[i] as number;
    predictions[i] = argmax(logits);
    if (predictions[i] === label) correct++;
    loss += crossEntropy(logits, label);
  }
  return { accuracy: set.count === 0 ? 0 : correct / set.count, loss: set.count === 0 ? 0 : loss / set.count, predictions };
}

/** Trains a fresh model on `train`; returns the final parameters and per-epoch statistics. */
export function trainDigits(train: DigitsDataset, opts: TrainDigitsOptions): { params: DigitsParams; history: EpochStats[] } {
  const batchSize = opts.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const schedule = {
    learningRate: opts.learningRate ?? TRAIN_DEFAULTS.learningRate,
    finalLearningRateFraction: opts.finalLearningRateFraction ?? TRAIN_DEFAULTS.finalLearningRateFraction,
    warmupSteps: opts.warmupSteps ?? TRAIN_DEFAULTS.warmupSteps,
  };
  const weightDecay = opts.weightDecay ?? TRAIN_DEFAULTS.weightDecay;
  const shift = opts.augmentShift ?? TRAIN_DEFAULTS.augmentShift;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isSafeInteger(opts.epochs) || opts.epochs < 0) throw new RangeError(`epochs must be a non-negative integer, got ${opts.epochs}`);

  const params = initParams(opts.seed);
  const grads = createGrads();
  const adam = createAdam(params.flat.length);
  const decayMask = weightMask(params);
  const ws = createWorkspace();
  const input = new Float32Array(DIGITS_PIXELS);
  const order = Uint32Array.from({ length: train.count }, (_, i) => i);
  const shuffleNext = mulberry32(deriveSeed(opts.seed, 3));
  const augmentNext = mulberry32(deriveSeed(opts.seed, 4));
  const stepsPerEpoch = Math.ceil(train.count / batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  const history: EpochStats[] = [];
  let step = 0;

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const started = performance.now();
    shuffleInPlace(order, shuffleNext);
    let lossSum = 0;
    let correct = 0;
    let learningRate = 0;
    for (let start = 0; start < train.count; start += batchSize) {
      const end = Math.min(train.count, start + batchSize);
      grads.flat.fill(0);
      for (let b = start; b < end; b++) {
        const index = order[b] as number;
        const dx = shift > 0 ? randomBelow(augmentNext, 2 * shift + 1) - shift : 0;
        const dy = shift > 0 ? randomBelow(augmentNext, 2 * shift + 1) - shift : 0;
        shiftedInput(train, index, dx, dy, input);
        const logits = forward(params, input, ws);
        const label = train.labels[index] as number;
        if (argmax(logits) === label) correct++;
        lossSum += backward(params, ws, label, 1 / (end - start), grads);
      }
      learningRate = learningRateAt(step++, totalSteps, schedule);
      adamStep(adam, params.flat, grads.flat, { learningRate, weightDecay, decayMask });
    }
    const stats: EpochStats = {
      epoch,
      loss: lossSum / train.count,
      trainAccuracy: correct / train.count,
      learningRate,
      seconds: (performance.now() - started) / 1000,
    };
    if (opts.evalSet !== undefined) stats.evalAccuracy = evaluate(params, opts.evalSet).accuracy;
    history.push(stats);
    opts.onEpoch?.(stats);
  }
  return { params, history };
}

/** 1 for weight entries (decayed), 0 for biases. */
function weightMask(params: DigitsParams): Uint8Array {
  const mask = new Uint8Array(params.flat.length);
  let offset = 0;
  for (const t of DIGITS_CNN_TENSORS) {
    const n = params.tensors[t.name].length;
    if (t.name.endsWith('.weight')) mask.fill(1, offset, offset + n);
    offset += n;
  }
  return mask;
}
