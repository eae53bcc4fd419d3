import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnRuntime } from '../../test/support/dawn.ts';
import type { GpuRuntime } from './runtime.ts';
import { MemoryTuningStore, adapterKey, autotune, type BenchmarkScore } from './autotune.ts';
import { CONV2D_VARIANTS, MATMUL_VARIANTS, matmul, matmulVariants } from './ops/index.ts';

/** A real in-memory store that counts its traffic, to observe whether a measurement happened. */
class CountingStore extends MemoryTuningStore {
  gets = 0;
  sets = 0;
  override async get(key: string): Promise<BenchmarkScore | undefined> {
    this.gets++;
    return super.get(key);
  }
  override async set(key: string, value: BenchmarkScore): Promise<void> {
    this.sets++;
    return super.set(key, value);
  }
}

describe('autotune on Dawn', () => {
  let rt: GpuRuntime;
  beforeAll(async () => {
    rt = await dawnRuntime();
  });
  afterAll(() => rt.stop());

  it('measures every variant, chooses a correct one per family, caches it, and reuses the cache', async () => {
    const store = new CountingStore();
    const s1 = await autotune(rt, { store, budgetMs: 500 });
    expect(MATMUL_VARIANTS).toContain(s1.chosen['matmul']);
    expect(CONV2D_VARIANTS).toContain(s1.chosen['conv2d']);
    // Every variant this device runs was measured (on Dawn/SwiftShader: all three, 'reg-sg' included).
    expect(matmulVariants(rt)).toEqual([...MATMUL_VARIANTS]);
    for (const v of MATMUL_VARIANTS) expect(s1.perVariant[`matmul/${v}`]).toBeGreaterThan(0);
    for (const v of CONV2D_VARIANTS) expect(s1.perVariant[`conv2d/${v}`]).toBeGreaterThan(0);
    // The chosen variant is the fastest measured one, and the headline figure is its speed.
    const mm = MATMUL_VARIANTS.map((v) => s1.perVariant[`matmul/${v}`]!);
    expect(s1.gflops).toBe(Math.max(...mm));
    expect(s1.perVariant[`matmul/${s1.chosen['matmul']}`]).toBe(s1.gflops);
    expect(s1.adapter).toBe(adapterKey(rt.report));
    expect(rt.tuning.get('matmul')).toBe(s1.chosen['matmul']);
    expect(rt.tuning.get('conv2d')).toBe(s1.chosen['conv2d']);
    expect(store.sets).toBe(1);
    expect(rt.poolStats.bytesInUse).toBe(0);

    // Second start: a fresh tuning map, the same store. No measurement: nothing is written and
    // the score is the stored one, timestamp included.
    rt.tuning.clear();
    const s2 = await autotune(rt, { store });
    expect(store.sets).toBe(1);
    expect(s2).toEqual(s1);
    expect(rt.tuning.get('matmul')).toBe(s1.chosen['matmul']);

    // The ops follow the tuned choice when no variant is given.
    const a = rt.upload(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const y = await matmul(rt, a, a);
    expect([...(await rt.read(y))]).toEqual([7, 10, 15, 22]);
    a.release();
    y.release();
  });

  it('ignores a score stored for another adapter, or one naming variants this build lacks', async () => {
    const store = new CountingStore();
    const key = adapterKey(rt.report);
    const foreign: BenchmarkScore = { gflops: 999, perVariant: {}, chosen: { matmul: 'tiled', conv2d: 'direct' }, adapter: 'kernels-v1|other|gpu||Some Other GPU|hw', measuredAt: 1 };
    await store.set(foreign.adapter, foreign);
    // Under our key but claiming another adapter (a copied or tampered entry), and a stale variant name.
    await store.set(key, { ...foreign, adapter: foreign.adapter });
    const stale: BenchmarkScore = { ...foreign, adapter: key, chosen: { matmul: 'reg4x4-old', conv2d: 'reg' } };
    const staleStore = new CountingStore();
    await staleStore.set(key, stale);
    const setsBefore = store.sets;

    const s = await autotune(rt, { store, budgetMs: 300 });
    expect(store.sets).toBe(setsBefore + 1);
    expect(s.gflops).not.toBe(999);
    expect(s.measuredAt).toBeGreaterThan(1);
    expect(s.adapter).toBe(key);
    expect(await store.get(foreign.adapter)).toEqual(foreign);

    const t = await autotune(rt, { store: staleStore, budgetMs: 300 });
    expect(MATMUL_VARIANTS).toContain(t.chosen['matmul']);
    expect(t.measuredAt).toBeGreaterThan(1);
  });

  it('keeps measuring when the store fails', async () => {
    const broken = { get: () => Promise.reject(new Error('quota')), set: () => Promise.reject(new Error('quota')) };
    const s = await autotune(rt, { store: broken, budgetMs: 200 });
    expect(MATMUL_VARIANTS).toContain(s.chosen['matmul']);
  });
});
