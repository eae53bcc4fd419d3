/**
 * The digits data set: 28x28 grey images as bytes (0..255) with labels 0..9, the seeded PRNG,
 * the deterministic train / held-out split, and the safetensors form of a set (`images` U8
 * [N,28,28], `labels` U8 [N]) in which the held-out split is published for pages and tests.
 *
 * The model's input is `pixel / 255` as f32, NCHW with C = 1: use {@link imageToInput}.
 *
 * @example
 * ```ts
 * const { train, heldOut } = splitDigits(all.labels, { seed: 1, heldOut: DIGITS_HELD_OUT_SAMPLES });
 * const set = decodeDigitsDataset(new Uint8Array(await (await fetch('/datasets/mnist-heldout.safetensors')).arrayBuffer()));
 * ```
 */
import { InvalidSafetensorsError } from '../errors.ts';
import { parseSafetensors, writeSafetensors } from '../safetensors.ts';

/** Image side length in pixels. */
export const DIGITS_IMAGE_SIZE = 28;
/** Pixels per image. */
export const DIGITS_PIXELS = DIGITS_IMAGE_SIZE * DIGITS_IMAGE_SIZE;
/** Number of classes (the digits 0..9). */
export const DIGITS_CLASSES = 10;
/** Samples used to train the shipped model. */
export const DIGITS_TRAIN_SAMPLES = 8000;
/** Samples held out from training and published for evaluation. */
export const DIGITS_HELD_OUT_SAMPLES = 2000;

/** A set of digit images: image `i` is `images[i*784 .. (i+1)*784)`, row-major. */
export interface DigitsDataset {
  /** `count * 784` pixels, 0 (background) .. 255 (ink). */
  images: Uint8Array;
  /** `count` labels, 0..9. */
  labels: Uint8Array;
  count: number;
}

/**
 * mulberry32: a tiny 32-bit PRNG, fully specified by its integer arithmetic (Math.imul and
 * shifts), so the same seed gives the same stream in every engine. Returns uint32 values.
 *
 * @example
 * ```ts
 * const next = mulberry32(42); next(); // 32-bit unsigned integer
 * ```
 */
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

/**
 * A seed for an independent stream (`stream` = 1, 2, ...) derived from a master seed, so the
 * split, the initialisation and the shuffling never share a sequence.
 *
 * @example
 * ```ts
 * const shuffleRandom = mulberry32(deriveSeed(seed, 3));
 * ```
 */
export function deriveSeed(seed: number, stream: number): number {
  return mulberry32((seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9))();
}

/**
 * Uniform integer in [0, n) from a uint32 source (n ≤ 2^32; the bias is below 2^-20 for n ≤ 4096).
 *
 * @example
 * ```ts
 * const dx = randomBelow(next, 5) - 2; // -2..2
 * ```
 */
export function randomBelow(next: () => number, n: number): number {
  return Math.floor((next() / 4294967296) * n);
}

/**
 * Fisher-Yates shuffle in place, driven by `next`.
 *
 * @example
 * ```ts
 * shuffleInPlace(Uint32Array.from({ length: 10 }, (_, i) => i), mulberry32(1));
 * ```
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(values: T, next: () => number): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomBelow(next, i + 1);
    const tmp = values[i] as number;
    values[i] = values[j] as number;
    values[j] = tmp;
  }
  return values;
}

/** The two index lists of a split, each in increasing order. */
export interface DigitsSplit {
  train: Uint32Array;
  heldOut: Uint32Array;
}

/**
 * Splits sample indices into training and held-out sets, deterministically from `seed` and
 * stratified by label: each class gives the held-out set its share of `heldOut` (largest
 * remainder, ties to the lower label), chosen by a seeded shuffle within the class. Every index
 * lands in exactly one set.
 *
 * @example
 * ```ts
 * const { train, heldOut } = splitDigits(labels, { seed: 1, heldOut: 2000 }); // 8000 + 2000 of 10000
 * ```
 */
export function splitDigits(labels: ArrayLike<number>, opts: { seed: number; heldOut: number }): DigitsSplit {
  const total = labels.length;
  if (!Number.isSafeInteger(opts.heldOut) || opts.heldOut < 0 || opts.heldOut > total) {
    throw new RangeError(`splitDigits heldOut must be an integer in [0, ${total}], got ${opts.heldOut}`);
  }
  const byClass: number[][] = Array.from({ length: DIGITS_CLASSES }, () => []);
  for (let i = 0; i < total; i++) {
    const label = labels[i] as number;
    const bucket = byClass[label];
    if (bucket === undefined) throw new RangeError(`splitDigits labels[${i}] is ${label}, not a digit 0..9`);
    bucket.push(i);
  }
  const quotas = largestRemainder(byClass.map((c) => (c.length * opts.heldOut) / total), opts.heldOut);
  const next = mulberry32(deriveSeed(opts.seed, 1));
  const isHeldOut = new Uint8Array(total);
  byClass.forEach((indices, label) => {
    const shuffled = shuffleInPlace(Uint32Array.from(indices), next);
    for (let k = 0; k < (quotas[label] as number); k++) isHeldOut[shuffled[k] as number] = 1;
  });
  const train = new Uint32Array(total - opts.heldOut);
  const heldOut = new Uint32Array(opts.heldOut);
  let t = 0;
  let h = 0;
  for (let i = 0; i < total; i++) {
    if (isHeldOut[i] === 1) heldOut[h++] = i;
    else train[t++] = i;
  }
  return { train, heldOut };
}

/** Integer parts of `shares` that sum to `total`, rounding up the largest fractional parts. */
function largestRemainder(shares: number[], total: number): number[] {
  const quotas = shares.map(Math.floor);
  let missing = total - quotas.reduce((a, b) => a + b, 0);
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (missing-- <= 0) break;
    quotas[i] = (quotas[i] as number) + 1;
  }
  return quotas;
}

/**
 * The samples at `indices`, in that order, as a new data set.
 *
 * @example
 * ```ts
 * const heldOutSet = selectDigits(all, splitDigits(all.labels, { seed: 1, heldOut: 2000 }).heldOut);
 * ```
 */
export function selectDigits(set: DigitsDataset, indices: ArrayLike<number>): DigitsDataset {
  const images = new Uint8Array(indices.length * DIGITS_PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    if (!(i >= 0 && i < set.count)) throw new RangeError(`selectDigits index ${i} is outside [0, ${set.count})`);
    images.set(set.images.subarray(i * DIGITS_PIXELS, (i + 1) * DIGITS_PIXELS), k * DIGITS_PIXELS);
    labels[k] = set.labels[i] as number;
  }
  return { images, labels, count: indices.length };
}

/**
 * Writes image `index` into `out` (at `outOffset`) as the model expects it: f32 `pixel / 255`,
 * i.e. one NCHW sample [1, 28, 28].
 *
 * @example
 * ```ts
 * const batch = new Float32Array(n * DIGITS_PIXELS);
 * for (let i = 0; i < n; i++) imageToInput(set, i, batch, i * DIGITS_PIXELS);
 * ```
 */
export function imageToInput(set: DigitsDataset, index: number, out: Float32Array, outOffset = 0): void {
  const base = index * DIGITS_PIXELS;
  for (let p = 0; p < DIGITS_PIXELS; p++) out[outOffset + p] = (set.images[base + p] as number) / 255;
}

/**
 * Serialises a set as safetensors: `images` U8 [N,28,28] and `labels` U8 [N].
 *
 * @example
 * ```ts
 * writeFileSync('public/datasets/mnist-heldout.safetensors', encodeDigitsDataset(heldOutSet));
 * ```
 */
export function encodeDigitsDataset(set: DigitsDataset, metadata: Record<string, string> = {}): Uint8Array {
  return writeSafetensors(
    {
      images: { dtype: 'U8', shape: [set.count, DIGITS_IMAGE_SIZE, DIGITS_IMAGE_SIZE], data: set.images },
      labels: { dtype: 'U8', shape: [set.count], data: set.labels },
    },
    metadata,
  );
}

/**
 * Parses and validates the safetensors form of a set (exactly `images` U8 [N,28,28] and
 * `labels` U8 [N] with labels 0..9). Throws {@link InvalidSafetensorsError} naming the field.
 * Check the file's SHA-256 against the manifest's `training.heldOutDataset` first.
 *
 * @example
 * ```ts
 * const set = decodeDigitsDataset(new Uint8Array(await (await fetch('/datasets/mnist-heldout.safetensors')).arrayBuffer()));
 * ```
 */
export function decodeDigitsDataset(bytes: Uint8Array): DigitsDataset {
  const { tensors } = parseSafetensors(bytes, { copy: true });
  const images = tensors.get('images');
  const labels = tensors.get('labels');
  for (const name of tensors.keys()) {
    if (name !== 'images' && name !== 'labels') throw new InvalidSafetensorsError(`tensor ${JSON.stringify(name)}`, 'is not part of a digits data set');
  }
  if (images === undefined || images.dtype !== 'U8' || images.shape.length !== 3 || images.shape[1] !== DIGITS_IMAGE_SIZE || images.shape[2] !== DIGITS_IMAGE_SIZE) {
    throw new InvalidSafetensorsError('tensor "images"', 'must be U8 [N,28,28]');
  }
  const count = images.shape[0] as number;
  if (labels === undefined || labels.dtype !== 'U8' || labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw new InvalidSafetensorsError('tensor "labels"', `must be U8 [${count}]`);
  }
  const labelData = labels.data as Uint8Array;
  const bad = labelData.findIndex((l) => l >= DIGITS_CLASSES);
  if (bad >= 0) throw new InvalidSafetensorsError(`tensor "labels"[${bad}]`, `is ${labelData[bad]}, not a digit 0..9`);
  return { images: images.data as Uint8Array, labels: labelData, count };
}
