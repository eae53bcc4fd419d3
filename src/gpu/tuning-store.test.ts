import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IndexedDbTuningStore } from './tuning-store.ts';
import type { BenchmarkScore } from './autotune.ts';

const score: BenchmarkScore = { gflops: 3.5, perVariant: { 'matmul/reg': 3.5 }, chosen: { matmul: 'reg' }, adapter: 'k', measuredAt: 1 };

describe('IndexedDbTuningStore', () => {
  it('persists a score across store instances (a page reload)', async () => {
    const a = new IndexedDbTuningStore('t1');
    expect(await a.get('k')).toBeUndefined();
    await a.set('k', score);
    a.close();
    const b = new IndexedDbTuningStore('t1');
    expect(await b.get('k')).toEqual(score);
    expect(await b.get('other')).toBeUndefined();
    b.close();
  });
});
