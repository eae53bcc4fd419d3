import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnRuntime, dawnGpu } from '../../test/support/dawn.ts';
import { GpuRuntime, gridFor } from './runtime.ts';
import { sizeClass } from './buffer-pool.ts';
import { pipelineKey, type Kernel } from './pipeline-cache.ts';

const addScalar: Kernel = {
  name: 'test-add-scalar',
  code: /* wgsl */ `
override WG: u32 = 64;
struct P { n: u32, v: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * WG;
  if (i < p.n) { y[i] = x[i] + p.v; }
}`,
};

function params(n: number, v: number): Uint32Array {
  const u = new Uint32Array(2);
  u[0] = n;
  new Float32Array(u.buffer)[1] = v;
  return u;
}

describe('GpuRuntime on Dawn', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await dawnRuntime();
  });
  afterAll(() => rt.stop());

  it('reports the adapter and its limits', () => {
    expect(rt.report.description.length).toBeGreaterThan(0);
    expect(rt.report.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(rt.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
  });

  it('uploads, dispatches with override constants and uniforms, and reads back', async () => {
    const n = 1000;
    const x = rt.upload(Float32Array.from({ length: n }, (_, i) => i), [n]);
    const y = rt.empty([n]);
    for (const WG of [64, 128]) {
      await rt.dispatch({ kernel: addScalar, constants: { WG }, bindings: [x, y], uniforms: params(n, 0.5), workgroups: gridFor(n, WG) });
      const out = await rt.read(y);
      expect(out.length).toBe(n);
      for (let i = 0; i < n; i += 97) expect(out[i]).toBe(i + 0.5);
    }
    expect(rt.pipelines.size).toBe(2);
    x.release();
    y.release();
  });

  it('batches several launches and keeps each launch its own uniforms', async () => {
    const n = 8;
    const a = rt.upload(new Float32Array(n), [n]);
    const b = rt.empty([n]);
    const c = rt.empty([n]);
    await rt.dispatch({ kernel: addScalar, bindings: [a, b], uniforms: params(n, 1), workgroups: [1] });
    await rt.dispatch({ kernel: addScalar, bindings: [b, c], uniforms: params(n, 2), workgroups: [1] });
    expect([...(await rt.read(c))]).toEqual(new Array(n).fill(3));
    for (const t of [a, b, c]) t.release();
  });

  it('reuses pooled buffers and refuses use after release', async () => {
    const before = rt.poolStats;
    const t = rt.empty([100]);
    t.release();
    const u = rt.empty([90]);
    expect(rt.poolStats.reused).toBeGreaterThan(before.reused);
    u.release();
    expect(() => u.buffer).toThrowError(/used after release/);
    expect(() => u.release()).toThrow(expect.objectContaining({ name: 'ReleasedTensorError' }));
  });

  it('rejects bad shapes, oversize bindings and grids with named errors', async () => {
    expect(() => rt.upload(new Float32Array(3), [2, 2])).toThrow(expect.objectContaining({ name: 'ShapeError' }));
    expect(() => rt.empty([-1])).toThrow(/shape\[0\]/);
    const huge = rt.limits.maxStorageBufferBindingSize / 4 + 1;
    expect(() => rt.empty([huge])).toThrow(expect.objectContaining({ name: expect.stringMatching(/LimitExceededError/) }));
    const x = rt.empty([4]);
    await expect(rt.dispatch({ kernel: addScalar, bindings: [x, x], uniforms: params(4, 1), workgroups: [70000] })).rejects.toMatchObject({ name: 'LimitExceededError' });
    x.release();
  });

  it('reports WGSL errors as ShaderCompilationError naming the kernel', async () => {
    const broken: Kernel = { name: 'broken', code: '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }' };
    await expect(rt.pipelines.get(broken)).rejects.toMatchObject({ name: 'ShaderCompilationError', kernel: 'broken' });
  });

  it('surfaces an unrequested device loss as an event and DeviceLostError, and recovers on start()', async () => {
    const own = new GpuRuntime({ gpu: dawnGpu() });
    await own.start();
    const lost = new Promise<Event>((r) => own.addEventListener('devicelost', r, { once: true }));
    own.device.destroy(); // not through stop(): to the runtime this is a loss like any other
    const ev = (await lost) as CustomEvent;
    expect(ev.detail).toMatchObject({ name: 'DeviceLostError' });
    expect(() => own.device).toThrow(expect.objectContaining({ name: 'DeviceLostError' }));
    await own.start();
    const t = own.upload(new Float32Array([1, 2]), [2]);
    expect([...(await own.read(t))]).toEqual([1, 2]);
    await own.stop();
  });

  it('keeps a WGSL error out of later reads', async () => {
    const t = rt.upload(new Float32Array([5]), [1]);
    expect([...(await rt.read(t))]).toEqual([5]);
    t.release();
  });
});

describe('pure helpers', () => {
  it('sizeClass rounds up, caps waste at 25% above 1 MiB', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(300)).toBe(512);
    expect(sizeClass(1 << 20)).toBe(1 << 20);
    const s = sizeClass((1 << 22) + 1);
    expect(s).toBeGreaterThan(1 << 22);
    expect(s / ((1 << 22) + 1)).toBeLessThan(1.26);
  });
  it('gridFor folds into 2-D past the per-dimension limit', () => {
    expect(gridFor(100, 64)).toEqual([2, 1, 1]);
    const [x, y] = gridFor(65535 * 64 * 3, 64);
    expect(x * y * 64).toBeGreaterThanOrEqual(65535 * 64 * 3);
    expect(x).toBeLessThanOrEqual(65535);
  });
  it('pipelineKey is independent of constant order', () => {
    const k = { name: 'k', code: '' };
    expect(pipelineKey(k, { a: 1, b: 2 })).toBe(pipelineKey(k, { b: 2, a: 1 }));
    expect(pipelineKey(k, { a: 1 })).not.toBe(pipelineKey(k, { a: 2 }));
  });
});

describe('Tensor.reshape', () => {
  it('moves ownership so the buffer is released exactly once', async () => {
    const rt = await dawnRuntime();
    const t = rt.upload(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const r = t.reshape([3, 2]);
    expect(t.released).toBe(true);
    expect(r.shape).toEqual([3, 2]);
    expect([...(await rt.read(r))]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => r.reshape([4])).toThrow(/6 elements/);
    r.release();
    await rt.stop();
  });
});

describe('GpuRuntime.readMany', () => {
  it('reads tensors of different dtypes and sizes in one round trip', async () => {
    const rt = await dawnRuntime();
    const a = rt.upload(new Float32Array([1.5, -2]), [2]);
    const b = rt.upload(new Uint32Array([7, 8, 9]), [3]);
    const c = rt.empty([0]);
    const [av, bv, cv] = await rt.readMany([a, b, c]);
    expect(av).toBeInstanceOf(Float32Array);
    expect([...av!]).toEqual([1.5, -2]);
    expect(bv).toBeInstanceOf(Uint32Array);
    expect([...bv!]).toEqual([7, 8, 9]);
    expect(cv!.length).toBe(0);
    await rt.stop();
  });
});

describe('tensors across a device loss', () => {
  it('releasing a tensor of the lost device after a restart is harmless and leaves the new pool intact', async () => {
    const rt = new GpuRuntime({ gpu: dawnGpu() });
    await rt.start();
    const old = rt.upload(new Float32Array([1]), [1]);
    const lost = new Promise((r) => rt.addEventListener('devicelost', r, { once: true }));
    rt.device.destroy();
    await lost;
    await rt.start();
    const fresh = rt.upload(new Float32Array([2, 3]), [2]);
    old.release();
    expect(rt.poolStats.bytesInUse).toBeGreaterThan(0);
    expect([...(await rt.read(fresh))]).toEqual([2, 3]);
    fresh.release();
    expect(rt.poolStats.bytesInUse).toBe(0);
    await rt.stop();
  });
});
