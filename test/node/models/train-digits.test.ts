import { describe, expect, it } from 'vitest';
import { DIGITS_PIXELS, selectDigits, splitDigits } from '../../../src/models/digits/dataset.ts';
import { backward, createGrads, createWorkspace, crossEntropy, DIGITS_CNN_TENSORS, forward, initParams, type DigitsParams } from '../../../scripts/train/cnn.ts';
import { evaluate, shiftedInput, trainDigits } from '../../../scripts/train/trainer.ts';
import { encodeWeights, paramsFromTensors } from '../../../scripts/train/artifacts.ts';
import { loadMnistPackage } from '../../../scripts/train/mnist-source.ts';
import { parseSafetensors, tensorToFloat32 } from '../../../src/models/safetensors.ts';

const all = loadMnistPackage();
// 200 samples, 20 per class, chosen by the seeded split.
const tiny = selectDigits(all, splitDigits(all.labels, { seed: 7, heldOut: 200 }).heldOut);

function bytesOf(params: DigitsParams): Uint8Array {
  return new Uint8Array(params.flat.buffer, params.flat.byteOffset, params.flat.byteLength);
}

describe('digits CNN training', () => {
  const options = { seed: 3, epochs: 2, warmupSteps: 0 };

  it('is bit-identical across two runs with the same seed, and the loss falls', () => {
    const first = trainDigits(tiny, options);
    const second = trainDigits(tiny, options);
    expect(Buffer.compare(bytesOf(first.params), bytesOf(second.params))).toBe(0);
    expect(first.history.map((h) => h.loss)).toEqual(second.history.map((h) => h.loss));

    const [epoch1, epoch2] = first.history;
    expect(epoch2!.loss).toBeLessThan(epoch1!.loss);
    const before = evaluate(initParams(options.seed), tiny).loss;
    const after = evaluate(first.params, tiny).loss;
    expect(after).toBeLessThan(before * 0.8);
  });

  it('depends on the seed', () => {
    const a = trainDigits(tiny, { ...options, epochs: 1 });
    const b = trainDigits(tiny, { ...options, epochs: 1, seed: 4 });
    expect(Buffer.compare(bytesOf(a.params), bytesOf(b.params))).not.toBe(0);
  });

  it('backward matches finite differences of the forward loss', () => {
    const params = initParams(11);
    // Non-zero biases so relus sit away from their kink at 0 for most units.
    for (const name of ['conv1.bias', 'conv2.bias', 'fc1.bias'] as const) params.tensors[name].fill(0.05);
    const ws = createWorkspace();
    const input = new Float32Array(DIGITS_PIXELS);
    shiftedInput(tiny, 17, 0, 0, input);
    const label = tiny.labels[17]!;
    const grads = createGrads();
    forward(params, input, ws);
    backward(params, ws, label, 1, grads);

    const lossAt = () => crossEntropy(forward(params, input, ws), label);
    for (const t of DIGITS_CNN_TENSORS) {
      const g = grads.tensors[t.name];
      const p = params.tensors[t.name];
      // The three largest gradients of each tensor: large enough to rise above f32 noise.
      const top = [...g.keys()].sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!)).slice(0, 3);
      for (const i of top) {
        const original = p[i]!;
        const eps = 1e-3;
        p[i] = original + eps;
        const up = lossAt();
        p[i] = original - eps;
        const down = lossAt();
        p[i] = original;
        const numeric = (up - down) / (Math.fround(original + eps) - Math.fround(original - eps));
        const analytic = g[i]!;
        expect(Math.abs(numeric - analytic), `${t.name}[${i}] analytic ${analytic} numeric ${numeric}`).toBeLessThan(0.02 * Math.abs(analytic) + 1e-4);
      }
    }
  });

  it('weights survive the safetensors round trip exactly', () => {
    const params = initParams(5);
    const file = parseSafetensors(encodeWeights(params));
    const tensors = new Map([...file.tensors].map(([name, t]) => [name, { shape: t.shape, data: tensorToFloat32(t) }]));
    expect(Buffer.compare(bytesOf(paramsFromTensors(tensors)), bytesOf(params))).toBe(0);
    expect(file.tensors.get('fc1.weight')?.shape).toEqual([784, 64]);
  });
});
