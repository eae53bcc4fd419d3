/**
 * The default model end to end on real WebGPU (Dawn): the 2,000 held-out digits, never used in
 * training, through the WGSL kernels; accuracy ≥ 97% and agreement with the CPU reference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnRuntime } from '../../support/dawn.ts';
import type { GpuRuntime } from '../../../src/gpu/runtime.ts';
import { loadModel, type LoadedModel } from '../../../src/models/load.ts';
import { prepareModel } from '../../../src/models/runnable.ts';
import { digitsReference } from '../../../src/models/digits/reference.ts';
import { decodeDigitsDataset, imageToInput, DIGITS_PIXELS, type DigitsDataset } from '../../../src/models/digits/dataset.ts';
import { digitsGeometry } from '../../../src/models/digits/graph.ts';

const PUBLIC = join(import.meta.dirname, '..', '..', '..', 'public');
const MODEL_DIR = join(PUBLIC, 'models', 'digits-cnn');

/**
 * Logit tolerance between the WGSL graph and the f64 reference. Five layers of f32 arithmetic
 * with different summation orders (tiles, register blocks) drift by a few ulps per
 * accumulation; with logits of magnitude ~10-30 that is ~1e-4 in practice. 2e-3 leaves room
 * for other adapters' fused multiply-add choices while still catching any indexing error,
 * which moves logits by whole units.
 */
const LOGIT_TOLERANCE = 2e-3;

describe('digits CNN on WebGPU', () => {
  let rt: GpuRuntime;
  let model: LoadedModel;
  let heldOut: DigitsDataset;
  let input: Float32Array;

  beforeAll(async () => {
    rt = await dawnRuntime();
    model = await loadModel({ manifest: JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')), fetchFile: async (p) => new Uint8Array(readFileSync(join(MODEL_DIR, p))) });
    heldOut = decodeDigitsDataset(new Uint8Array(readFileSync(join(PUBLIC, 'datasets', 'mnist-heldout.safetensors'))));
    input = new Float32Array(heldOut.count * DIGITS_PIXELS);
    for (let i = 0; i < heldOut.count; i++) imageToInput(heldOut, i, input, i * DIGITS_PIXELS);
  });
  afterAll(() => rt?.stop());

  it('classifies the 2,000 held-out digits with ≥ 97% accuracy and matches the CPU reference', async () => {
    const n = heldOut.count;
    expect(n).toBe(2000);
    const runnable = prepareModel(rt, model);
    const progress: number[] = [];
    const gpu = await runnable.classify(input, n, { onProgress: (f) => progress.push(f) });
    runnable.release();
    expect(progress.at(-1)).toBe(1);
    const correct = gpu.argmax.filter((p, i) => p === heldOut.labels[i]).length;
    expect(correct / n).toBeGreaterThanOrEqual(0.97);

    const ref = digitsReference(model, input, n);
    let maxDiff = 0;
    for (let i = 0; i < ref.logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref.logits[i]! - gpu.logits[i]!));
    expect(maxDiff).toBeLessThan(LOGIT_TOLERANCE);
    const disagreements = [...gpu.argmax].filter((p, i) => p !== ref.argmax[i]).length;
    expect(disagreements).toBe(0);
    // The accuracy the trainer recorded used yet another forward pass (the trainer's own).
    expect(correct / n).toBeCloseTo(model.manifest.training!.heldOutAccuracy, 3);
  });

  it('gives the same answer for a sample alone as inside a batch', async () => {
    const runnable = prepareModel(rt, model);
    const alone = await runnable.classify(input.subarray(7 * DIGITS_PIXELS, 8 * DIGITS_PIXELS), 1);
    const batch = await runnable.classify(input.subarray(0, 16 * DIGITS_PIXELS), 16);
    runnable.release();
    expect(alone.argmax[0]).toBe(batch.argmax[7]);
    for (let c = 0; c < 10; c++) expect(Math.abs(alone.logits[c]! - batch.logits[70 + c]!)).toBeLessThan(1e-4);
  });

  it('refuses weights whose shapes do not fit the graph', () => {
    const broken = new Map(model.tensors);
    broken.set('fc1.weight', { dtype: 'f32', shape: [100, 64], data: new Float32Array(6400) });
    expect(() => digitsGeometry(broken, model.manifest.input.shape)).toThrow(expect.objectContaining({ name: 'IncompatibleModelError', message: expect.stringMatching(/fc1\.weight/) }));
  });
});
