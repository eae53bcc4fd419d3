import { describe, expect, it } from 'vitest';
import {
  decodeDigitsDataset,
  DIGITS_HELD_OUT_SAMPLES,
  DIGITS_PIXELS,
  encodeDigitsDataset,
  imageToInput,
  mulberry32,
  selectDigits,
  splitDigits,
} from '../../../src/models/digits/dataset.ts';
import { writeSafetensors } from '../../../src/models/safetensors.ts';
import { loadMnistPackage } from '../../../scripts/train/mnist-source.ts';

const all = loadMnistPackage();

describe('the mnist package source', () => {
  it('holds 10,000 labelled 28x28 byte images covering 0..255', () => {
    expect(all.count).toBe(10_000);
    expect(all.images.length).toBe(10_000 * DIGITS_PIXELS);
    expect(Math.max(...all.labels)).toBe(9);
    let max = 0;
    for (const p of all.images) if (p > max) max = p;
    expect(max).toBe(255);
  });
});

describe('mulberry32', () => {
  it('is a deterministic uint32 stream that depends on the seed', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const c = mulberry32(124);
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
    for (const v of sa) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
  });
});

describe('splitDigits', () => {
  const split = splitDigits(all.labels, { seed: 1, heldOut: DIGITS_HELD_OUT_SAMPLES });

  it('gives 8,000 training and 2,000 held-out indices, disjoint and covering everything', () => {
    expect(split.train.length).toBe(8000);
    expect(split.heldOut.length).toBe(2000);
    const seen = new Uint8Array(all.count);
    for (const i of split.train) seen[i] = seen[i]! + 1;
    for (const i of split.heldOut) seen[i] = seen[i]! + 1;
    expect(seen.every((n) => n === 1)).toBe(true);
  });

  it('is the same for the same seed and different for another', () => {
    expect(splitDigits(all.labels, { seed: 1, heldOut: 2000 })).toEqual(split);
    expect(splitDigits(all.labels, { seed: 2, heldOut: 2000 }).heldOut).not.toEqual(split.heldOut);
  });

  it('is stratified: each class keeps its share of the held-out set', () => {
    const total = new Array(10).fill(0);
    const held = new Array(10).fill(0);
    for (const l of all.labels) total[l]++;
    for (const i of split.heldOut) held[all.labels[i]!]++;
    for (let c = 0; c < 10; c++) expect(Math.abs(held[c] - (total[c] * 2000) / all.count)).toBeLessThan(1);
  });

  it('refuses impossible sizes and non-digit labels', () => {
    expect(() => splitDigits([0, 1], { seed: 1, heldOut: 3 })).toThrow(RangeError);
    expect(() => splitDigits([0, 12], { seed: 1, heldOut: 1 })).toThrow(/labels\[1\] is 12/);
  });
});

describe('digits data set files', () => {
  const small = selectDigits(all, [0, 5000, 9999]);

  it('round-trips images and labels through safetensors', () => {
    const decoded = decodeDigitsDataset(encodeDigitsDataset(small, { note: 'x' }));
    expect(decoded.count).toBe(3);
    expect(decoded.labels).toEqual(small.labels);
    expect(decoded.images).toEqual(small.images);
  });

  it('turns pixels into the model input pixel/255', () => {
    const input = new Float32Array(DIGITS_PIXELS);
    imageToInput(small, 1, input);
    const brightest = input.indexOf(Math.max(...input));
    expect(input[brightest]).toBe(Math.fround(small.images[DIGITS_PIXELS + brightest]! / 255));
  });

  it('refuses labels above 9, wrong shapes and extra tensors', () => {
    const images = { dtype: 'U8' as const, shape: [1, 28, 28], data: new Uint8Array(784) };
    const bad = (labels: Uint8Array, extra = {}) => writeSafetensors({ images, labels: { dtype: 'U8', shape: [labels.length], data: labels }, ...extra });
    expect(() => decodeDigitsDataset(bad(new Uint8Array([10])))).toThrow(/tensor "labels"\[0\] is 10, not a digit/);
    expect(() => decodeDigitsDataset(bad(new Uint8Array([1, 2])))).toThrow(/tensor "labels" must be U8 \[1\]/);
    expect(() => decodeDigitsDataset(bad(new Uint8Array([1]), { ids: { dtype: 'I32', shape: [1], data: new Int32Array(1) } }))).toThrow(/tensor "ids" is not part of a digits data set/);
    const wrongImages = writeSafetensors({ images: { dtype: 'U8', shape: [1, 784], data: new Uint8Array(784) }, labels: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } });
    expect(() => decodeDigitsDataset(wrongImages)).toThrow(/tensor "images" must be U8 \[N,28,28\]/);
  });
});
