/**
 * The shipped default model (public/models/digits-cnn) and the published held-out set
 * (public/datasets/mnist-heldout.safetensors): they load through the real loader, the held-out
 * set is exactly the seeded split's held-out part (so it was never trained on), and the weights
 * reach the accuracy the manifest claims, which must be at least 97%.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDigitsDataset, DIGITS_HELD_OUT_SAMPLES, selectDigits, splitDigits } from '../../../src/models/digits/dataset.ts';
import { loadModel, sha256Hex } from '../../../src/models/load.ts';
import { paramsFromTensors } from '../../../scripts/train/artifacts.ts';
import { DIGITS_CNN_TENSORS } from '../../../scripts/train/cnn.ts';
import { loadMnistPackage } from '../../../scripts/train/mnist-source.ts';
import { evaluate } from '../../../scripts/train/trainer.ts';

const PUBLIC = join(import.meta.dirname, '..', '..', '..', 'public');
const MODEL_DIR = join(PUBLIC, 'models', 'digits-cnn');

describe('the shipped digits model', async () => {
  const manifestJson: unknown = JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8'));
  const model = await loadModel({
    manifest: manifestJson,
    fetchFile: async (path) => new Uint8Array(readFileSync(join(MODEL_DIR, path))),
  });
  const training = model.manifest.training!;

  it('has a training record and the expected tensors, small enough to ship', () => {
    expect(training).toBeDefined();
    expect(training.trainSamples).toBe(8000);
    expect(training.heldOutSamples).toBe(DIGITS_HELD_OUT_SAMPLES);
    expect(model.manifest.files[0]!.bytes).toBeLessThan(2 * 1024 * 1024);
    for (const t of DIGITS_CNN_TENSORS) expect(model.tensors.get(t.name)?.shape).toEqual([...t.shape]);
  });

  const datasetBytes = new Uint8Array(readFileSync(join(PUBLIC, ...training.heldOutDataset!.url.split('/').filter(Boolean))));
  const heldOut = decodeDigitsDataset(datasetBytes);

  it('publishes the held-out set the manifest pins', async () => {
    expect(datasetBytes.length).toBe(training.heldOutDataset!.bytes);
    expect(await sha256Hex(datasetBytes)).toBe(training.heldOutDataset!.sha256);
    expect(heldOut.count).toBe(DIGITS_HELD_OUT_SAMPLES);
  });

  it('held-out set is exactly the seeded split, disjoint from the training samples', () => {
    const all = loadMnistPackage();
    const split = splitDigits(all.labels, { seed: training.seed, heldOut: DIGITS_HELD_OUT_SAMPLES });
    const expected = selectDigits(all, split.heldOut);
    expect(Buffer.compare(heldOut.images, expected.images)).toBe(0);
    expect(Buffer.compare(heldOut.labels, expected.labels)).toBe(0);
    const train = new Set(split.train);
    expect(split.heldOut.some((i) => train.has(i))).toBe(false);
  });

  it('scores at least 97% on the held-out set, as the manifest records', () => {
    const { accuracy } = evaluate(paramsFromTensors(model.tensors), heldOut);
    expect(accuracy).toBeGreaterThanOrEqual(0.97);
    expect(accuracy).toBe(training.heldOutAccuracy);
  });
});
