/**
 * Focused edge cases of the GPU ops on Dawn, beyond the randomized compliance suite: extreme
 * logits, ties, out-of-range ids, identity permutations, argument errors, and what happens at
 * the adapter's limits (split or refuse, never a silent wrong answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnGpu, dawnRuntime } from '../../support/dawn.ts';
import { GpuRuntime } from '../../../src/gpu/runtime.ts';
import type { Tensor } from '../../../src/gpu/tensor.ts';
import * as ops from '../../../src/gpu/ops/index.ts';
import { argmaxRef, matmulRef } from '../../../src/gpu/reference/index.ts';

let rt: GpuRuntime;
beforeAll(async () => {
  rt = await dawnRuntime();
});
afterAll(() => rt.stop());

const f32 = (values: number[], shape: number[]): Tensor => rt.upload(new Float32Array(values), shape);

async function readAndRelease(t: Tensor): Promise<number[]> {
  const v = [...(await rt.read(t))];
  t.release();
  return v;
}

describe('softmax', () => {
  it('stays finite on logits of ±1e4 and sums rows to 1', async () => {
    const x = f32([1e4, -1e4, 0, 1e4 - 1, 5, -1e4, -1e4, -1e4, 1e4, 1e4, 1e4, 1e4], [3, 4]);
    const y = await readAndRelease(await ops.softmax(rt, x));
    x.release();
    expect(y.every(Number.isFinite)).toBe(true);
    expect(y[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(y[1]).toBe(0);
    expect(y[3]).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)), 6);
    expect(y.slice(4, 8)).toEqual([1, 0, 0, 0]);
    for (const v of y.slice(8)) expect(v).toBeCloseTo(0.25, 7);
  });

  it('gives −inf entries 0 when the row has a finite value, and handles rows of length 1', async () => {
    const x = f32([-Infinity, 0, -Infinity, 2], [2, 2]);
    expect(await readAndRelease(await ops.softmax(rt, x))).toEqual([0, 1, 0, 1]);
    x.release();
    const one = f32([123, -7], [2, 1]);
    expect(await readAndRelease(await ops.softmax(rt, one))).toEqual([1, 1]);
    one.release();
  });
});

describe('argmax', () => {
  it('returns the first index on ties, in every row, including across invocations of a long row', async () => {
    const long = new Float32Array(1000).fill(1);
    long[700] = 2;
    long[999] = 2;
    const x = rt.upload(new Float32Array([3, 1, 3, 0, 0, 0, 0, 0, -5, -1, -1, -9, ...long.slice(0, 4)]), [4, 4]);
    expect(await readAndRelease(await ops.argmax(rt, x))).toEqual([0, 0, 1, 0]);
    x.release();
    const y = rt.upload(long, [1000]);
    const r = await ops.argmax(rt, y);
    expect(r.shape).toEqual([]);
    expect(r.dtype).toBe('u32');
    expect(await readAndRelease(r)).toEqual([700]);
    y.release();
  });

  it('treats NaN as the largest value (first NaN wins) and −0 as equal to 0', async () => {
    const x = f32([1, NaN, 5, NaN, -0, 0, -1, -2], [2, 4]);
    expect(await readAndRelease(await ops.argmax(rt, x))).toEqual([1, 0]);
    x.release();
  });
});

describe('embedding', () => {
  it('writes zero rows for out-of-range ids, signed and unsigned', async () => {
    const table = f32([1, 2, 3, 4, 5, 6], [3, 2]);
    const ids = rt.upload(new Int32Array([2, -1, 3, 0, -2147483648]), [5]);
    const y = await ops.embedding(rt, table, ids);
    expect(y.shape).toEqual([5, 2]);
    expect(await readAndRelease(y)).toEqual([5, 6, 0, 0, 0, 0, 1, 2, 0, 0]);
    const uids = rt.upload(new Uint32Array([1, 3, 0xffffffff, 0x80000000]), [2, 2]);
    const z = await ops.embedding(rt, table, uids);
    expect(z.shape).toEqual([2, 2, 2]);
    expect(await readAndRelease(z)).toEqual([3, 4, 0, 0, 0, 0, 0, 0]);
    for (const t of [table, ids, uids]) t.release();
  });
});

describe('transpose', () => {
  it('is a copy under the identity permutation, for every dtype and for scalars', async () => {
    const data = Int32Array.from({ length: 24 }, (_, i) => i * 7 - 50);
    const x = rt.upload(data, [2, 3, 4]);
    const y = await ops.transpose(rt, x, [0, 1, 2]);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(y.dtype).toBe('i32');
    expect(await readAndRelease(y)).toEqual([...data]);
    x.release();
    const s = f32([42], []);
    expect(await readAndRelease(await ops.transpose(rt, s, []))).toEqual([42]);
    s.release();
  });

  it('permutes a known 2x3 matrix', async () => {
    const x = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = await ops.transpose(rt, x, [1, 0]);
    expect(y.shape).toEqual([3, 2]);
    expect(await readAndRelease(y)).toEqual([1, 4, 2, 5, 3, 6]);
    x.release();
  });
});

describe('inputs and intermediates', () => {
  it('never consumes inputs and leaves no intermediate behind', async () => {
    const before = rt.poolStats.bytesInUse;
    const x = f32(Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => Math.sin(i)), [2, 3, 6, 6]);
    const w = f32(Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i)), [4, 3, 3, 3]);
    await rt.sync();
    const inUse = rt.poolStats.bytesInUse;
    for (const variant of ops.CONV2D_VARIANTS) {
      // The 'reg' variant makes a padded copy, packed weights and a tap table internally; once
      // the batch is submitted, only the output may still be held.
      const y = await ops.conv2d(rt, x, w, { padding: 1, variant });
      await rt.sync();
      expect(rt.poolStats.bytesInUse - inUse).toBe(y.buffer.size);
      y.release();
    }
    await rt.sync();
    expect([...(await rt.read(x))][1]).toBeCloseTo(Math.sin(1), 6);
    x.release();
    w.release();
    expect(rt.poolStats.bytesInUse).toBe(before);
  });
});

describe('argument errors name the argument', () => {
  const made: Tensor[] = [];
  const mk = (shape: number[], dtype: 'f32' | 'i32' | 'u32' = 'f32'): Tensor => {
    const x = rt.empty(shape, dtype);
    made.push(x);
    return x;
  };

  it.each([
    ['matmul inner dims', () => ops.matmul(rt, mk([2, 7]), mk([8, 3])), /matmul: a\.shape\[1\] \(7\) must equal b\.shape\[0\] \(8\)/],
    ['matmul batch', () => ops.matmul(rt, mk([2, 3, 4]), mk([3, 4, 5])), /matmul: a\.shape\[0\] \(2\) must equal b\.shape\[0\] \(3\)/],
    ['matmul rank', () => ops.matmul(rt, mk([4]), mk([4, 2])), /matmul: a must have rank 2 or 3/],
    ['matmul bias', () => ops.matmul(rt, mk([2, 4]), mk([4, 3]), { bias: mk([4]) }), /matmul: bias\.shape must be \[3\], got \[4\]/],
    ['matmul dtype', () => ops.matmul(rt, mk([2, 4], 'i32'), mk([4, 3])), /matmul: a\.dtype must be f32, got i32/],
    ['conv2d channels', () => ops.conv2d(rt, mk([1, 3, 8, 8]), mk([4, 2, 3, 3])), /conv2d: weight\.shape\[1\] \(2\) must equal x\.shape\[1\] \(3\)/],
    ['conv2d kernel too big', () => ops.conv2d(rt, mk([1, 1, 3, 3]), mk([1, 1, 5, 5])), /conv2d: kernel 5x5 does not fit the padded input 3x3/],
    ['conv2d stride', () => ops.conv2d(rt, mk([1, 1, 8, 8]), mk([1, 1, 3, 3]), { stride: 0 }), /conv2d: stride must be an integer >= 1/],
    ['conv2d bias', () => ops.conv2d(rt, mk([1, 1, 8, 8]), mk([2, 1, 3, 3]), { bias: mk([3]) }), /conv2d: bias\.shape must be \[2\]/],
    ['conv2d rank', () => ops.conv2d(rt, mk([1, 8, 8]), mk([2, 1, 3, 3])), /conv2d: x must have rank 4/],
    ['maxPool2d padding', () => ops.maxPool2d(rt, mk([1, 1, 8, 8]), { kernel: 2, padding: 2 }), /maxPool2d: padding \(2,2\) must be at most half the kernel/],
    ['avgPool2d kernel', () => ops.avgPool2d(rt, mk([1, 1, 8, 8]), { kernel: 0 }), /avgPool2d: kernel must be an integer >= 1/],
    ['avgPool2d rank', () => ops.avgPool2d(rt, mk([8, 8]), { kernel: 2 }), /avgPool2d: x must have rank 4/],
    ['add broadcast', () => ops.add(rt, mk([2, 3]), mk([4])), /add: a \[2,3\] and b \[4\] cannot be broadcast \(axis -1: 3 vs 4\)/],
    ['mul broadcast', () => ops.mul(rt, mk([5, 2]), mk([3, 1])), /mul: a \[5,2\] and b \[3,1\] cannot be broadcast \(axis -2: 5 vs 3\)/],
    ['mul rank 7', () => ops.mul(rt, mk([2, 1, 2, 1, 2, 1, 2]), mk([1, 2, 1, 2, 1, 2, 1])), /mul: .* at most 6/],
    ['relu dtype', () => ops.relu(rt, mk([3], 'u32')), /relu: x\.dtype must be f32, got u32/],
    ['gelu tensor', () => ops.gelu(rt, {} as Tensor), /gelu: x must be a Tensor/],
    ['silu dtype', () => ops.silu(rt, mk([3], 'i32')), /silu: x\.dtype must be f32/],
    ['softmax scalar', () => ops.softmax(rt, mk([])), /softmax: x must have rank >= 1/],
    ['softmax empty axis', () => ops.softmax(rt, mk([3, 0])), null],
    ['layerNorm gamma', () => ops.layerNorm(rt, mk([2, 5]), mk([4]), mk([5])), /layerNorm: gamma\.shape must be \[5\], got \[4\]/],
    ['layerNorm beta', () => ops.layerNorm(rt, mk([2, 5]), mk([5]), mk([5, 1])), /layerNorm: beta\.shape must be \[5\]/],
    ['layerNorm eps', () => ops.layerNorm(rt, mk([2, 5]), mk([5]), mk([5]), { eps: -1 }), /layerNorm: eps must be a finite number >= 0/],
    ['rmsNorm gamma', () => ops.rmsNorm(rt, mk([2, 5]), mk([6])), /rmsNorm: gamma\.shape must be \[5\], got \[6\]/],
    ['embedding ids dtype', () => ops.embedding(rt, mk([4, 2]), mk([3])), /embedding: ids\.dtype must be u32 or i32, got f32/],
    ['embedding table rank', () => ops.embedding(rt, mk([4]), mk([3], 'u32')), /embedding: table must have rank 2/],
    ['argmax empty axis', () => ops.argmax(rt, mk([2, 0])), /argmax: the last axis of x \[2,0\] must not be empty/],
    ['argmax of nothing', () => ops.argmax(rt, mk([0, 0])), null],
    ['argmax dtype', () => ops.argmax(rt, mk([2, 3], 'i32')), /argmax: x\.dtype must be f32, got i32/],
    ['transpose perm', () => ops.transpose(rt, mk([2, 3]), [0, 0]), /transpose: perm must be a permutation of 0\.\.1, got \[0,0\]/],
    ['transpose perm length', () => ops.transpose(rt, mk([2, 3]), [0]), /transpose: perm must list each of the 2 axes once/],
  ] as [string, () => Promise<unknown>, RegExp | null][])('%s', async (_name, call, message) => {
    try {
      if (message === null) {
        // An empty last axis on an empty tensor is fine: nothing to compute, an empty result.
        const r = (await call()) as Tensor;
        expect(r.size).toBe(0);
        r.release();
      } else {
        await expect(call()).rejects.toMatchObject({ name: 'ShapeError', message: expect.stringMatching(message) });
      }
    } finally {
      for (const x of made.splice(0)) x.release();
    }
  });

  it('rejects released inputs and unknown variants or activations', async () => {
    const a = rt.empty([2, 2]);
    a.release();
    const b = mk([2, 2]);
    await expect(ops.matmul(rt, a, b)).rejects.toMatchObject({ name: 'ReleasedTensorError', message: expect.stringMatching(/matmul: a was used after release/) });
    await expect(ops.matmul(rt, b, b, { variant: 'fast' as never })).rejects.toThrow(/matmul: variant must be one of tiled, reg, reg-sg/);
    await expect(ops.matmul(rt, b, b, { activation: 'tanh' as never })).rejects.toThrow(/matmul: activation must be one of/);
    await expect(ops.conv2d(rt, mk([1, 1, 3, 3]), mk([1, 1, 1, 1]), { variant: 'winograd' })).rejects.toThrow(/conv2d: variant must be one of direct, reg/);
    await expect(ops.conv2d(rt, mk([1, 1, 3, 3]), mk([1, 1, 1, 1]), { activation: 'gelu' as never })).rejects.toThrow(/conv2d: activation must be one of none, relu/);
    for (const x of made.splice(0)) x.release();
  });
});

describe('adapter limits', () => {
  /**
   * The real limit is 65,535 workgroups per dimension, and on SwiftShader each matmul workgroup
   * costs ~0.1 ms even when nearly idle, so crossing it for every variant would take minutes.
   * This runtime shares the real device but reports a limit of 16, so the same split and fold
   * code runs on shapes that cost milliseconds. It reports, it does not fake: dispatches still
   * go to the real device, which enforces its own (higher) limit.
   */
  class TightRuntime extends GpuRuntime {
    override get limits(): GPUSupportedLimits {
      return { ...describeLimits(super.limits), maxComputeWorkgroupsPerDimension: 16 } as GPUSupportedLimits;
    }
  }
  function describeLimits(l: GPUSupportedLimits): Record<string, number> {
    const o: Record<string, number> = {};
    for (const k in l) o[k] = (l as unknown as Record<string, number>)[k]!;
    return o;
  }

  it('splits batches and rows past the grid limit into several launches, for every matmul variant', async () => {
    const tight = new TightRuntime({ acquired: { adapter: null as unknown as GPUAdapter, device: rt.device, report: rt.report } });
    await tight.start();
    expect(tight.limits.maxComputeWorkgroupsPerDimension).toBe(16);
    const cases: { a: number[]; b: number[] }[] = [
      { a: [40, 3, 8], b: [8, 12] }, // 40 batches > 16 along z
      { a: [2, 1100, 8], b: [2, 8, 12] }, // ≥ 18 row groups > 16 along y (64 rows per group)
    ];
    for (const { a: as, b: bs } of cases) {
      const ah = Float32Array.from({ length: as.reduce((p, q) => p * q) }, (_, i) => ((i * 37) % 11) - 5);
      const bh = Float32Array.from({ length: bs.reduce((p, q) => p * q) }, (_, i) => ((i * 13) % 7) - 3);
      const want = matmulRef({ data: ah, shape: as }, { data: bh, shape: bs }).data;
      const a = tight.upload(ah, as);
      const b = tight.upload(bh, bs);
      for (const variant of ops.matmulVariants(tight)) {
        const y = await ops.matmul(tight, a, b, { variant });
        // Small integers: every variant's f32 sums are exact, so the comparison can be too.
        expect([...(await tight.read(y))], `${variant} ${JSON.stringify(as)}`).toEqual([...want]);
        y.release();
      }
      a.release();
      b.release();
    }
    // Elementwise and per-row kernels fold into 2-D grids under the same limit.
    const n = 16 * 64 * 3 + 5;
    const xh = Float32Array.from({ length: n }, (_, i) => (i % 5) - 2);
    const x = tight.upload(xh, [n]);
    const r = await ops.relu(tight, x);
    expect([...(await tight.read(r))]).toEqual([...xh].map((v) => Math.max(v, 0)));
    const rows = tight.upload(xh.subarray(0, 200 * 10), [200, 10]);
    const am = await ops.argmax(tight, rows);
    expect([...(await tight.read(am))]).toEqual([...argmaxRef({ data: xh.subarray(0, 2000), shape: [200, 10] }).data]);
    for (const t of [x, r, rows, am]) t.release();
    await tight.stop();
  });

  it('folds elementwise work past 65,535 workgroups into a 2-D grid', async () => {
    const n = 65_535 * 64 + 1000;
    const xh = new Float32Array(n);
    for (let i = 0; i < n; i++) xh[i] = (i % 7) - 3;
    const x = rt.upload(xh, [n]);
    const y = await ops.relu(rt, x);
    x.release();
    const got = await rt.read(y);
    y.release();
    for (const i of [0, 1, 6, 65_535 * 64 - 1, 65_535 * 64, n - 1]) expect(got[i], `element ${i}`).toBe(Math.max(0, (i % 7) - 3));
  });

  it('refuses an output over maxStorageBufferBindingSize before allocating, on a device with default limits', async () => {
    // Without raised limits a device binds at most 128 MiB: a [6000,1] x [1,6000] product needs
    // 144 MB. The inputs are tiny, and the refusal must come before any allocation.
    const adapter = (await dawnGpu().requestAdapter())!;
    const device = await adapter.requestDevice();
    const small = new GpuRuntime({ acquired: { adapter, device, report: rt.report } });
    await small.start();
    expect(small.limits.maxStorageBufferBindingSize).toBe(128 * 1024 * 1024);
    const a = small.upload(new Float32Array(6000).fill(1), [6000, 1]);
    const b = small.upload(new Float32Array(6000).fill(1), [1, 6000]);
    const x = small.upload(new Float32Array(64 * 64), [1, 1, 64, 64]);
    const w = small.upload(new Float32Array(9000), [9000, 1, 1, 1]);
    const before = small.poolStats;
    await expect(ops.matmul(small, a, b)).rejects.toMatchObject({
      name: 'LimitExceededError',
      limit: 'maxStorageBufferBindingSize',
      requested: 6000 * 6000 * 4,
      message: expect.stringMatching(/matmul: output \[6000,6000\]/),
    });
    await expect(ops.conv2d(small, x, w)).rejects.toMatchObject({ name: 'LimitExceededError', message: expect.stringMatching(/conv2d: output \[1,9000,64,64\]/) });
    await expect(ops.add(small, a, b)).rejects.toMatchObject({ name: 'LimitExceededError', message: expect.stringMatching(/add: output \[6000,6000\]/) });
    expect(small.poolStats.created).toBe(before.created);
    expect(small.poolStats.bytesInUse).toBe(before.bytesInUse);
    // The same device still computes what fits.
    const y = await ops.matmul(small, a.reshape([1, 6000]), b.reshape([6000, 1]));
    expect([...(await small.read(y))]).toEqual([6000]);
    await small.stop();
    device.destroy();
  });
});
