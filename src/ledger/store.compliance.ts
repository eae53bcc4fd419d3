/**
 * The one compliance suite every `ReceiptStore` passes. `factory(name)` returns a store over the
 * database called `name`; two calls with the same name must reach the same data (two
 * connections, or a reopen after close).
 *
 * @example
 * runReceiptStoreCompliance('memory', memoryFactory());
 * runReceiptStoreCompliance('indexeddb', (name) => new IdbReceiptStore({ dbName: name }));
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, type Address, type Hex } from 'viem';
import { receiptDigest } from './receipt-digest.ts';
import { pairBucket, pairKey } from './receipt.ts';
import type { ClaimRecord, ReceiptStore, ReceiptTxContext, StoredReceipt } from './store.ts';
import { TEST_DOMAIN, testKey } from './testing.ts';

let seq = 0;
const uniq = (base: string) => `${base}-${Date.now()}-${seq++}`;

const req = (i: number) => testKey(`req-${i}`).address;
const wrk = (i: number) => testKey(`wrk-${i}`).address;

/** A record with a fake signature (stores do not verify). */
export function fakeStored(requester: Address, worker: Address, amount: bigint, work = 1n): StoredReceipt {
  const r = { requester, worker, cumulativeAmount: amount, cumulativeWork: work };
  return { ...r, chainId: TEST_DOMAIN.chainId, verifyingContract: TEST_DOMAIN.verifyingContract, signature: bytesToHex(new Uint8Array(65).fill(7)), digest: receiptDigest(r, TEST_DOMAIN), bucket: pairBucket(requester, worker) };
}

const write = (r: StoredReceipt) => ({ requester: r.requester, worker: r.worker, decide: () => ({ write: r, value: 'w' }) });

export function runReceiptStoreCompliance(name: string, factory: (dbName: string) => ReceiptStore): void {
  describe(`ReceiptStore compliance: ${name}`, () => {
    const open = async (dbName = uniq(name)) => {
      const s = factory(dbName);
      await s.open();
      return { s, dbName };
    };

    it('stores and reads the latest receipt per pair; copies are independent', async () => {
      const { s } = await open();
      const a = fakeStored(req(1), wrk(1), 10n);
      const [o] = await s.writeReceipts([write(a)]);
      expect(o).toEqual({ ok: true, value: 'w', written: true });
      const got = (await s.getReceipt(a.requester, a.worker))!;
      expect(got).toEqual(a);
      got.cumulativeAmount = 999n;
      expect((await s.getReceipt(a.requester, a.worker))!.cumulativeAmount).toBe(10n);
      await s.writeReceipts([write(fakeStored(req(1), wrk(1), 20n))]);
      expect((await s.getReceipt(a.requester, a.worker))!.cumulativeAmount).toBe(20n);
      expect(await s.countReceipts()).toBe(1);
      expect(await s.getReceipt(req(2), wrk(1))).toBeUndefined();
      await s.close();
    });

    it('a decision sees earlier writes of the same call and the chain state; a refusal writes nothing', async () => {
      const { s } = await open();
      const R = req(1);
      await s.applyChainState({ blockNumber: 5n, escrows: [{ requester: R, amount: 100n }], settled: [{ requester: R, worker: wrk(2), amount: 3n, work: 1n }] });
      const seen: ReceiptTxContext[] = [];
      const out = await s.writeReceipts([
        { requester: R, worker: wrk(1), decide: (ctx) => (seen.push(ctx), { write: fakeStored(R, wrk(1), 10n), value: 1 }) },
        { requester: R, worker: wrk(2), decide: (ctx) => (seen.push(ctx), { write: fakeStored(R, wrk(2), 7n), value: 2 }) },
        { requester: R, worker: wrk(1), decide: (ctx) => { seen.push(ctx); throw new Error('refused'); } },
        { requester: R, worker: wrk(3), decide: (ctx) => (seen.push(ctx), { value: 4 }) },
      ]);
      expect(out.map((o) => o.ok)).toEqual([true, true, false, true]);
      expect(out[3]).toEqual({ ok: true, value: 4, written: false });
      expect((out[2] as { error: Error }).error.message).toBe('refused');
      expect(seen[0]!.existing).toBeUndefined();
      expect(seen[0]!.escrow).toBe(100n);
      expect(seen[1]!.settled).toEqual({ amount: 3n, work: 1n });
      expect(seen[1]!.requesterPairs.map((p) => p.receipt.worker)).toEqual([wrk(1)]);
      expect(seen[2]!.existing!.cumulativeAmount).toBe(10n);
      expect(seen[3]!.requesterPairs.map((p) => [p.receipt.cumulativeAmount, p.settled.amount]).sort()).toEqual([[10n, 0n], [7n, 3n]].sort());
      expect(await s.countReceipts()).toBe(2);
      await s.close();
    });

    it('concurrent calls are serialised (no lost update)', async () => {
      const { s, dbName } = await open();
      const s2 = factory(dbName);
      await s2.open();
      const R = req(1), W = wrk(1);
      const bump = (store: ReceiptStore) =>
        store.writeReceipts([{ requester: R, worker: W, decide: (ctx) => ({ write: fakeStored(R, W, (ctx.existing?.cumulativeAmount ?? 0n) + 1n), value: 0 }) }]);
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? s : s2)));
      expect((await s.getReceipt(R, W))!.cumulativeAmount).toBe(20n);
      await s.close();
      await s2.close();
    });

    it('lists sorted by pair, with bucket / requester / range / limit filters', async () => {
      const { s } = await open();
      const all: StoredReceipt[] = [];
      for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) all.push(fakeStored(req(i), wrk(j), BigInt(i * 10 + j + 1)));
      await s.writeReceipts(all.map(write));
      const keys = all.map((r) => pairKey(r.requester, r.worker)).sort();
      const listed = await s.listReceipts();
      expect(listed.map((r) => pairKey(r.requester, r.worker))).toEqual(keys);
      expect((await s.listReceipts({ limit: 5 })).length).toBe(5);
      expect((await s.listReceipts({ after: keys[9]!, through: keys[14]! })).map((r) => pairKey(r.requester, r.worker))).toEqual(keys.slice(10, 15));
      const r1 = (await s.listReceipts({ requester: req(1) })).map((r) => pairKey(r.requester, r.worker));
      expect(r1).toEqual(keys.filter((k) => k.startsWith(req(1))));
      expect((await s.listReceipts({ requester: req(1), limit: 2 })).length).toBe(2);
      expect((await s.listReceipts({ worker: wrk(2) })).every((r) => r.worker === wrk(2))).toBe(true);
      const bucket = all[0]!.bucket;
      const inBucket = keys.filter((k) => pairBucket(k.slice(0, 42) as Address, k.slice(43) as Address) === bucket);
      expect((await s.listReceipts({ bucket })).map((r) => pairKey(r.requester, r.worker))).toEqual(inBucket);
      expect((await s.listReceipts({ bucket, after: inBucket[0]! })).map((r) => pairKey(r.requester, r.worker))).toEqual(inBucket.slice(1));
      expect(await s.listReceipts({ after: keys[keys.length - 1]! })).toEqual([]);
      await s.close();
    });

    it('persists across close and reopen', async () => {
      const { s, dbName } = await open();
      const a = fakeStored(req(1), wrk(1), 10n);
      await s.writeReceipts([write(a)]);
      await s.putClaims([claim(1, 'aa')]);
      await s.applyChainState({ blockNumber: 3n, escrows: [{ requester: req(1), amount: 50n }] });
      await s.close();
      const again = factory(dbName);
      await again.open();
      expect(await again.getReceipt(a.requester, a.worker)).toEqual(a);
      expect(await again.getClaims(JOB)).toHaveLength(1);
      expect((await again.getChainState()).escrows).toEqual([{ requester: req(1), amount: 50n, blockNumber: 3n }]);
      await again.close();
    });

    const JOB = 'ab'.repeat(32);
    const claim = (unit: number, h: string, worker = wrk(1)): ClaimRecord => ({ worker, jobId: JOB, unitIndex: unit, outputHash: h.repeat(32), signature: bytesToHex(new Uint8Array(65).fill(unit)) });

    it('claims: batched, duplicates counted, conflicting output stored as evidence once', async () => {
      const { s } = await open();
      const r1 = await s.putClaims([claim(0, 'aa'), claim(1, 'bb'), claim(1, 'bb'), claim(2, 'cc', wrk(2))]);
      expect(r1).toEqual({ stored: 3, duplicates: 1, evidence: [] });
      const r2 = await s.putClaims([claim(1, 'dd'), claim(1, 'ee')]);
      expect(r2.stored).toBe(0);
      expect(r2.evidence).toHaveLength(1);
      expect(r2.evidence[0]).toMatchObject({ worker: wrk(1), unitIndex: 1, hashA: 'bb'.repeat(32), hashB: 'dd'.repeat(32) });
      expect((await s.putClaims([claim(1, 'ff')])).evidence).toHaveLength(0);
      expect(await s.listEvidence()).toHaveLength(1);
      expect((await s.getClaims(JOB)).map((c) => c.unitIndex)).toEqual([0, 1, 2]);
      const ev = { worker: wrk(3), jobId: JOB, unitIndex: 9, hashA: 'aa'.repeat(32), sigA: '0x01' as Hex, hashB: 'bb'.repeat(32), sigB: '0x02' as Hex };
      expect(await s.putEvidence([ev, ev])).toBe(1);
      expect(await s.listEvidence()).toHaveLength(2);
      await s.close();
    });

    it('chain state: escrow by block, settled monotonic, batches and anchors idempotent', async () => {
      const { s } = await open();
      const R = req(1), W = wrk(1);
      expect(await s.applyChainState({ blockNumber: 10n, escrows: [{ requester: R, amount: 100n }], settled: [{ requester: R, worker: W, amount: 5n, work: 1n }] })).toEqual({ escrows: 1, settled: 1, batches: 0, anchors: 0 });
      expect(await s.applyChainState({ blockNumber: 9n, escrows: [{ requester: R, amount: 1n }], settled: [{ requester: R, worker: W, amount: 4n, work: 9n }] })).toEqual({ escrows: 0, settled: 0, batches: 0, anchors: 0 });
      expect(await s.applyChainState({ blockNumber: 11n, escrows: [{ requester: R, amount: 80n }], settled: [{ requester: R, worker: W, amount: 5n, work: 2n }] })).toEqual({ escrows: 1, settled: 1, batches: 0, anchors: 0 });
      const snap = await s.getChainState();
      expect(snap.blockNumber).toBe(11n);
      expect(snap.escrows).toEqual([{ requester: R, amount: 80n, blockNumber: 11n }]);
      expect(snap.settled).toEqual([{ requester: R, worker: W, amount: 5n, work: 2n }]);
      const root = `0x${'11'.repeat(32)}` as Hex;
      const batch = { epoch: 2, batchIndex: 0, root };
      expect((await s.applyChainState({ blockNumber: 12n, batches: [batch], anchors: [{ epoch: 2, root }] })).batches).toBe(1);
      expect((await s.applyChainState({ blockNumber: 12n, batches: [batch], anchors: [{ epoch: 2, root }] })).batches).toBe(0);
      expect((await s.applyChainState({ blockNumber: 12n, batches: [{ ...batch, leaves: [root] }] })).batches).toBe(1);
      await s.applyChainState({ blockNumber: 12n, batches: [{ epoch: 1, batchIndex: 1, root }, { epoch: 1, batchIndex: 0, root }] });
      expect((await s.listBatches()).map((b) => [b.epoch, b.batchIndex])).toEqual([[1, 0], [1, 1], [2, 0]]);
      expect((await s.listBatches(2))[0]!.leaves).toEqual([root]);
      expect(await s.listAnchors()).toEqual([{ epoch: 2, root }]);
      await s.close();
    });

    it('settlement records by digest and status', async () => {
      const { s } = await open();
      const d = (i: number) => `0x${i.toString(16).padStart(64, '0')}` as Hex;
      await s.putSettlements([
        { digest: d(2), requester: req(1), worker: wrk(1), cumulativeAmount: 5n, status: 'submitted', txHash: d(9), updatedAt: 1 },
        { digest: d(1), requester: req(1), worker: wrk(2), cumulativeAmount: 6n, status: 'anchored', epoch: 0, batchIndex: 0, leafIndex: 1, proof: [d(3)], epochRoot: d(4), updatedAt: 1 },
      ]);
      expect((await s.listSettlements()).map((x) => x.digest)).toEqual([d(1), d(2)]);
      expect((await s.listSettlements('submitted')).map((x) => x.digest)).toEqual([d(2)]);
      expect((await s.getSettlement(d(1)))!.proof).toEqual([d(3)]);
      await s.putSettlements([{ digest: d(2), requester: req(1), worker: wrk(1), cumulativeAmount: 5n, status: 'settled', updatedAt: 2 }]);
      expect(await s.listSettlements('submitted')).toEqual([]);
      await s.close();
    });
  });
}
