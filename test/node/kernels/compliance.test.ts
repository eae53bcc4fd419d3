/**
 * Runs the shared kernel compliance suite (test/compliance/kernels.ts) on real WebGPU through
 * Dawn: one test per case, every variant of matmul and conv2d whatever the tuner would pick.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dawnRuntime } from '../../support/dawn.ts';
import { kernelCases, runKernelCase } from '../../compliance/kernels.ts';

// The runtime exists before the tests are collected: which cases apply depends on its features.
const rt = await dawnRuntime();
const cases = kernelCases({ features: rt.device.features });

describe('kernel compliance on Dawn', () => {
  afterAll(() => rt.stop());

  it('covers every matmul and conv2d variant and the whole op list', () => {
    const ops = new Set(cases.map((c) => c.op));
    for (const op of ['matmul', 'conv2d', 'maxPool2d', 'avgPool2d', 'add', 'mul', 'relu', 'gelu', 'silu', 'softmax', 'layerNorm', 'rmsNorm', 'embedding', 'argmax', 'transpose']) {
      expect(ops, op).toContain(op);
    }
    // SwiftShader has subgroups, so on Dawn here every matmul variant runs, 'reg-sg' included.
    expect(rt.device.features.has('subgroups')).toBe(true);
    expect(new Set(cases.filter((c) => c.op === 'matmul').map((c) => c.variant))).toEqual(new Set(['tiled', 'reg', 'reg-sg']));
    expect(new Set(cases.filter((c) => c.op === 'conv2d').map((c) => c.variant))).toEqual(new Set(['direct', 'reg']));
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const r = await runKernelCase(rt, c);
      const summary = `${r.name}: ${r.detail}; maxAbsErr ${r.maxAbsErr.toExponential(2)}, maxRelErr ${r.maxRelErr.toExponential(2)}, tolerance ${JSON.stringify(r.tolerance)}`;
      expect(r.pass, summary).toBe(true);
    });
  }

  it('leaves no tensor behind', () => {
    expect(rt.poolStats.bytesInUse).toBe(0);
  });
});
