/**
 * The CPU references against values worked out by hand or from the definitions. The compliance
 * suite checks the GPU against these references, so a reference that shared a misconception
 * with a kernel would let both pass: these pin the references to the math.
 */
import { describe, expect, it } from 'vitest';
import * as ref from '../../../src/gpu/reference/index.ts';

const t = (values: number[], shape: number[]) => ({ data: new Float32Array(values), shape });
const arr = (x: { data: ArrayLike<number> }) => Array.from(x.data);

describe('CPU references', () => {
  it('matmulRef: plain, batched with broadcasting, bias and activations', () => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = t([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(ref.matmulRef(a, b)).toEqual({ data: new Float32Array([58, 64, 139, 154]), shape: [2, 2] });
    const r = ref.matmulRef(a, b, { bias: t([-100, -200], [2]), activation: 'relu' });
    expect(arr(r)).toEqual([0, 0, 39, 0]);
    const ab = t([1, 0, 0, 1, 2, 0, 0, 2], [2, 2, 2]);
    const m = ref.matmulRef(ab, t([1, 2, 3, 4], [2, 2]));
    expect(m.shape).toEqual([2, 2, 2]);
    expect(arr(m)).toEqual([1, 2, 3, 4, 2, 4, 6, 8]);
    expect(arr(ref.matmulRef(t([1], [1, 1]), t([1], [1, 1]), { activation: 'gelu' }))[0]).toBeCloseTo(0.8411920, 6);
    expect(arr(ref.matmulRef(t([1], [1, 1]), t([-2], [1, 1]), { activation: 'silu' }))[0]).toBeCloseTo(-2 / (1 + Math.E ** 2), 6);
    expect(() => ref.matmulRef(a, a)).toThrow(/matmulRef: a\.shape\[1\] \(3\) must equal b\.shape\[0\] \(2\)/);
  });

  it('matmulRef accumulates in f64: a sum that cancels in f32 comes out exact', () => {
    // 1e8 + 1 − 1e8 is 0 in f32 accumulation and 1 in f64.
    const r = ref.matmulRef(t([1e8, 1, -1e8], [1, 3]), t([1, 1, 1], [3, 1]));
    expect(arr(r)).toEqual([1]);
  });

  it('conv2dRef: a worked 3x3 example with padding, stride, bias and relu', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = t([1, 0, 0, -1], [1, 1, 2, 2]); // x[i][j] − x[i+1][j+1]
    expect(arr(ref.conv2dRef(x, w))).toEqual([-4, -4, -4, -4]);
    // padding 1: 4x4 output; corners see one tap each.
    const p = ref.conv2dRef(x, w, { padding: 1 });
    expect(p.shape).toEqual([1, 1, 4, 4]);
    expect(arr(p)).toEqual([-1, -2, -3, 0, -4, -4, -4, 3, -7, -4, -4, 6, 0, 7, 8, 9]);
    // stride 2 keeps rows/columns 0 and 2 of that: [-1, -3, -7, -4]; + 5, then relu.
    const s = ref.conv2dRef(x, w, { padding: 1, stride: 2, bias: t([5], [1]), activation: 'relu' });
    expect(s.shape).toEqual([1, 1, 2, 2]);
    expect(arr(s)).toEqual([4, 2, 0, 1]);
    // Two input channels sum; two output channels are independent.
    const x2 = t([1, 1, 1, 1, 2, 2, 2, 2], [1, 2, 2, 2]);
    const w2 = t([1, 1, -1, 0], [2, 2, 1, 1]);
    expect(arr(ref.conv2dRef(x2, w2))).toEqual([3, 3, 3, 3, -1, -1, -1, -1]);
  });

  it('pooling: max ignores padding, avg excludes it from the count', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 1, 4, 4]);
    expect(arr(ref.maxPool2dRef(x, { kernel: 2 }))).toEqual([6, 8, 14, 16]);
    expect(arr(ref.avgPool2dRef(x, { kernel: 2 }))).toEqual([3.5, 5.5, 11.5, 13.5]);
    const neg = t([-1, -2, -3, -4], [1, 1, 2, 2]);
    // A padded max over negative values must not pick up a 0 from the padding.
    expect(arr(ref.maxPool2dRef(neg, { kernel: 2, stride: 1, padding: 1 }))).toEqual([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    // 3x3 average, stride 1, padding 1: the corner averages its 4 real neighbours.
    const a = ref.avgPool2dRef(x, { kernel: 3, stride: 1, padding: 1 });
    expect(a.data[0]).toBeCloseTo((1 + 2 + 5 + 6) / 4, 6);
    expect(a.data[5]).toBeCloseTo((1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9, 6);
    expect(() => ref.maxPool2dRef(x, { kernel: 2, padding: 2 })).toThrow(/at most half the kernel/);
  });

  it('add/mul broadcast NumPy-style', () => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(arr(ref.addRef(a, t([10, 20, 30], [3])))).toEqual([11, 22, 33, 14, 25, 36]);
    expect(arr(ref.mulRef(a, t([2, 3], [2, 1])))).toEqual([2, 4, 6, 12, 15, 18]);
    const o = ref.addRef(t([1, 2], [2, 1]), t([10, 20, 30], [1, 3]));
    expect(o.shape).toEqual([2, 3]);
    expect(arr(o)).toEqual([11, 21, 31, 12, 22, 32]);
    expect(arr(ref.mulRef(t([3], []), t([1, 2], [2])))).toEqual([3, 6]);
    expect(() => ref.addRef(a, t([1, 2], [2]))).toThrow(/cannot be broadcast \(axis -1: 3 vs 2\)/);
  });

  it('activations match their definitions', () => {
    const g = arr(ref.geluRef(t([-3, -1, 0, 1, 3, 100, -100], [7])));
    // 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))) at the listed points.
    expect(g[0]).toBeCloseTo(-0.0036373920, 7);
    expect(g[1]).toBeCloseTo(-0.1588080094, 7);
    expect(g[2]).toBe(0);
    expect(g[3]).toBeCloseTo(0.8411919906, 7);
    expect(g[4]).toBeCloseTo(2.9963626080, 6);
    expect(g[5]).toBe(100);
    expect(Math.abs(g[6]!)).toBeLessThan(1e-10); // f64 tanh(−15) is not quite −1
    const s = arr(ref.siluRef(t([0, 1, -1, -100], [4])));
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(0.7310585786, 7);
    expect(s[2]).toBeCloseTo(-0.2689414214, 7);
    expect(Math.abs(s[3]!)).toBeLessThan(1e-40);
    expect(arr(ref.reluRef(t([-1, 0, 2], [3])))).toEqual([0, 0, 2]);
  });

  it('softmaxRef is stable and normalised', () => {
    const r = arr(ref.softmaxRef(t([0, Math.log(3), 1e4, 1e4 - Math.log(3)], [2, 2])));
    expect(r[0]).toBeCloseTo(0.25, 7);
    expect(r[1]).toBeCloseTo(0.75, 7);
    // 1e4 − ln 3 is rounded to f32 (ULP 2⁻¹⁰ at 1e4) before the reference sees it.
    expect(r[2]).toBeCloseTo(0.75, 4);
    expect(r[3]).toBeCloseTo(0.25, 4);
    expect(r[2]! + r[3]!).toBeCloseTo(1, 7);
  });

  it('layerNormRef and rmsNormRef', () => {
    const ln = arr(ref.layerNormRef(t([1, 2, 3], [1, 3]), t([1, 1, 1], [3]), t([0, 0, 0], [3]), { eps: 0 }));
    // mean 2, biased variance 2/3.
    const k = 1 / Math.sqrt(2 / 3);
    expect(ln[0]).toBeCloseTo(-k, 6);
    expect(ln[1]).toBe(0);
    expect(ln[2]).toBeCloseTo(k, 6);
    const lb = arr(ref.layerNormRef(t([5, 5], [1, 2]), t([2, 3], [2]), t([1, -1], [2])));
    expect(lb).toEqual([1, -1]); // zero variance: eps keeps it finite, beta remains
    const rn = arr(ref.rmsNormRef(t([3, 4], [1, 2]), t([1, 2], [2]), { eps: 0 }));
    const rms = Math.sqrt(12.5);
    expect(rn[0]).toBeCloseTo(3 / rms, 6);
    expect(rn[1]).toBeCloseTo((4 / rms) * 2, 6);
  });

  it('embeddingRef, argmaxRef and transposeRef', () => {
    const table = t([1, 2, 3, 4, 5, 6], [3, 2]);
    const e = ref.embeddingRef(table, { data: new Int32Array([2, -1, 0, 3]), shape: [2, 2] });
    expect(e.shape).toEqual([2, 2, 2]);
    expect(arr(e)).toEqual([5, 6, 0, 0, 1, 2, 0, 0]);
    expect(arr(ref.argmaxRef(t([1, 3, 3, 2, NaN, 9, NaN, 0], [2, 4])))).toEqual([1, 0]);
    expect(ref.argmaxRef(t([0, 5, 5], [3]))).toEqual({ data: new Uint32Array([1]), shape: [] });
    const x = { data: new Int32Array([0, 1, 2, 3, 4, 5]), shape: [1, 2, 3] };
    const y = ref.transposeRef(x, [2, 0, 1]);
    expect(y.shape).toEqual([3, 1, 2]);
    expect(y.data).toBeInstanceOf(Int32Array);
    expect(arr(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('references validate what they are given', () => {
    expect(() => ref.reluRef({ data: new Float32Array(3), shape: [2, 2] })).toThrow(/has 3 elements but shape \[2,2\] needs 4/);
    expect(() => ref.transposeRef(t([1, 2], [2]), [1])).toThrow(/perm must be a permutation/);
    expect(() => ref.conv2dRef(t([1], [1, 1, 1, 1]), t([1, 1], [1, 2, 1, 1]))).toThrow(/weight\.shape\[1\] \(2\) must equal x\.shape\[1\] \(1\)/);
  });
});
