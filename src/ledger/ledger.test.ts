import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ClaimKey } from '../jobs/claim.ts';
import { u256Bytes, MAX_UINT256 } from './assert.ts';
import { computeBalances } from './balances.ts';
import { Ledger, type ReceiptSigner } from './ledger.ts';
import { merkleRoot, verifyMerkleProof } from './merkle.ts';
import { receiptDigest } from './receipt-digest.ts';
import type { SignedReceipt } from './receipt.ts';
import { MemoryBackend, MemoryReceiptStore } from './store-memory.ts';
import { IdbReceiptStore } from './store-idb.ts';
import type { ReceiptStore } from './store.ts';
import { MESH, PRICE, TEST_DOMAIN, signedReceipt, testKey } from './testing.ts';

const alice = testKey('alice');
const carol = testKey('carol');
const bob = testKey('bob').address;
const dave = testKey('dave').address;
const N = secp256k1.Point.CURVE().n;

async function ledgerWith(opts: { store?: ReceiptStore; escrow?: Record<string, bigint>; signer?: ReceiptSigner } = {}): Promise<Ledger> {
  const l = new Ledger({ store: opts.store ?? new MemoryReceiptStore(), domain: TEST_DOMAIN, ...(opts.signer ? { signer: opts.signer } : {}) });
  await l.start();
  const escrow = opts.escrow ?? { [alice.address]: 100n * MESH, [carol.address]: 100n * MESH };
  await l.applyChainState({ blockNumber: 1n, escrows: Object.entries(escrow).map(([requester, amount]) => ({ requester: requester as Address, amount })) });
  return l;
}

async function rejects(p: Promise<unknown>, name: string, field: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ name, field });
}

describe('Ledger.accept', () => {
  it('stores a receipt; the same receipt again is an idempotent duplicate', async () => {
    const l = await ledgerWith();
    const events: string[] = [];
    l.on('receipt', (e) => events.push(e.result.status));
    const r = signedReceipt(alice, bob, 50n * PRICE, 50n);
    const first = await l.accept(r);
    expect(first).toMatchObject({ status: 'stored', added: 50n * PRICE, pending: 50n * PRICE, digest: receiptDigest(r, TEST_DOMAIN) });
    expect(await l.accept(r)).toMatchObject({ status: 'duplicate', added: 0n });
    const { signature, ...body } = r;
    expect((await l.accept(body, hexToBytes(signature))).status).toBe('duplicate');
    expect(events).toEqual(['stored']);
    expect(await l.store.countReceipts()).toBe(1);
    expect((await l.balances()).workers[bob]).toEqual({ earned: 50n * PRICE, settled: 0n, pending: 50n * PRICE, work: 50n });
  });

  it('a higher cumulative supersedes; an older one arriving late is a ReplayError and changes nothing', async () => {
    const l = await ledgerWith();
    const r1 = signedReceipt(alice, bob, 50n * PRICE, 50n);
    const r2 = signedReceipt(alice, bob, 100n * PRICE, 100n);
    expect((await l.accept(r2)).status).toBe('stored');
    await rejects(l.accept(r1), 'ReplayError', 'receipt.cumulativeAmount');
    const same = signedReceipt(alice, bob, 100n * PRICE, 99n); // same amount, other work: not above
    await rejects(l.accept(same), 'ReplayError', 'receipt.cumulativeAmount');
    expect((await l.receipt(alice.address, bob))!.digest).toBe(receiptDigest(r2, TEST_DOMAIN));
  });

  it('refuses what the contract refuses, naming the field, with state untouched', async () => {
    const l = await ledgerWith();
    await l.accept(signedReceipt(alice, bob, 10n * PRICE, 10n));
    const before = await l.balances();
    const good = signedReceipt(alice, dave, 10n * PRICE, 10n);
    const sig = hexToBytes(good.signature);
    const high = new Uint8Array(sig);
    u256Bytes(N - BigInt(bytesToHex(sig.subarray(32, 64))), high, 32);
    high[64] = sig[64] === 27 ? 28 : 27;
    const cases: Array<[string, Promise<unknown>, string, string]> = [
      ['tampered amount', l.accept({ ...good, cumulativeAmount: good.cumulativeAmount + 1n }), 'SignerMismatchError', 'receipt.signature'],
      ['forged requester', l.accept({ ...signedReceipt(testKey('eve'), dave, PRICE, 1n), requester: alice.address }), 'SignerMismatchError', 'receipt.signature'],
      ['high s', l.accept({ ...good, signature: bytesToHex(high) }), 'HighSSignatureError', 'receipt.signature.s'],
      ['short signature', l.accept({ ...good, signature: good.signature.slice(0, 20) as Hex }), 'MalformedSignatureError', 'receipt.signature'],
      ['wrong chain', l.accept({ ...good, chainId: 1 }), 'ChainIdMismatchError', 'receipt.chainId'],
      ['wrong contract', l.accept({ ...good, verifyingContract: bob }), 'ContractMismatchError', 'receipt.verifyingContract'],
      ['malformed worker', l.accept({ ...good, worker: 'bob' }), 'InvalidFieldError', 'receipt.worker'],
      ['amount beyond uint256', l.accept({ ...good, cumulativeAmount: MAX_UINT256 + 1n }), 'AmountOutOfRangeError', 'receipt.cumulativeAmount'],
      ['price too high', l.accept(signedReceipt(alice, dave, 11n * MESH, 1n)), 'PriceOutOfBoundsError', 'receipt.cumulativeAmount'],
      ['price too low', l.accept(signedReceipt(alice, dave, 1n, 1n)), 'PriceOutOfBoundsError', 'receipt.cumulativeAmount'],
      ['beyond escrow', l.accept(signedReceipt(alice, dave, 100n * MESH, 100n * 100n)), 'EscrowExceededError', 'receipt.cumulativeAmount'],
      ['unknown requester (no escrow)', l.accept(signedReceipt(testKey('nobody'), dave, PRICE, 1n)), 'EscrowExceededError', 'receipt.cumulativeAmount'],
    ];
    for (const [what, p, name, field] of cases) {
      await expect(p, what).rejects.toMatchObject({ name, field });
    }
    expect(await l.balances()).toEqual(before);
    expect(await l.store.countReceipts()).toBe(1);
  });

  it('escrow minus the other pending deltas of the requester bounds a receipt; settlement frees room', async () => {
    const l = await ledgerWith({ escrow: { [alice.address]: 10n * MESH } });
    await l.accept(signedReceipt(alice, bob, 6n * MESH, 600n)); // 0.01 MESH per work
    await rejects(l.accept(signedReceipt(alice, dave, 5n * MESH, 500n)), 'EscrowExceededError', 'receipt.cumulativeAmount');
    expect((await l.accept(signedReceipt(alice, dave, 4n * MESH, 400n))).status).toBe('stored');
    // bob's 6 MESH settle: escrow falls to 4, bob's pending to 0; dave's 4 pending fill it.
    await l.applyChainState({ blockNumber: 2n, escrows: [{ requester: alice.address, amount: 4n * MESH }], settled: [{ requester: alice.address, worker: bob, amount: 6n * MESH, work: 600n }] });
    await rejects(l.accept(signedReceipt(alice, bob, 7n * MESH, 700n)), 'EscrowExceededError', 'receipt.cumulativeAmount');
    await l.applyChainState({ blockNumber: 3n, escrows: [{ requester: alice.address, amount: 5n * MESH }] });
    expect((await l.accept(signedReceipt(alice, bob, 7n * MESH, 700n))).pending).toBe(1n * MESH);
    const b = await l.balances();
    expect(b.requesters[alice.address]).toEqual({ escrow: 5n * MESH, owed: 5n * MESH, settled: 6n * MESH, available: 0n });
    expect(b.workers[bob]).toMatchObject({ earned: 7n * MESH, settled: 6n * MESH, pending: 1n * MESH });
  });

  it('against settled: replay and work below settled are refused; the exact settled receipt is kept as history', async () => {
    const l = await ledgerWith();
    const r = signedReceipt(alice, bob, 50n * PRICE, 50n);
    await l.applyChainState({ blockNumber: 2n, settled: [{ requester: alice.address, worker: bob, amount: 50n * PRICE, work: 50n }] });
    expect(await l.accept(r)).toMatchObject({ status: 'settled', pending: 0n });
    await rejects(l.accept(signedReceipt(alice, bob, 40n * PRICE, 40n)), 'ReplayError', 'receipt.cumulativeAmount');
    const l2 = await ledgerWith();
    await l2.applyChainState({ blockNumber: 2n, settled: [{ requester: alice.address, worker: bob, amount: 50n * PRICE, work: 50n }] });
    await rejects(l2.accept(signedReceipt(alice, bob, 40n * PRICE, 40n)), 'ReplayError', 'receipt.cumulativeAmount');
    await rejects(l2.accept(signedReceipt(alice, bob, 60n * PRICE, 49n)), 'WorkBelowSettledError', 'receipt.cumulativeWork');
    await rejects(l2.accept(signedReceipt(alice, bob, 50n * PRICE, 60n)), 'ReplayError', 'receipt.cumulativeAmount');
  });

  it('before start and after stop: LedgerNotStartedError', async () => {
    const l = new Ledger({ store: new MemoryReceiptStore(), domain: TEST_DOMAIN });
    await rejects(l.accept(signedReceipt(alice, bob, PRICE, 1n)), 'LedgerNotStartedError', '');
    await l.start();
    await l.stop();
    await rejects(l.accept(signedReceipt(alice, bob, PRICE, 1n)), 'LedgerNotStartedError', '');
  });

  it('parallel accepts never promise more than the escrow', async () => {
    const l = await ledgerWith({ escrow: { [alice.address]: 10n * MESH } });
    const workers = Array.from({ length: 30 }, (_, i) => testKey(`w${i}`).address);
    const results = await Promise.allSettled(workers.map((w) => l.accept(signedReceipt(alice, w, 1n * MESH, 100n))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.name === 'EscrowExceededError')).toBe(true);
    expect((await l.balances()).requesters[alice.address]!.owed).toBe(10n * MESH);
  });
});

describe('Ledger.issue (requester side)', () => {
  it('adds to the pair cumulative and signs once per call; concurrent issues never reuse a cumulative', async () => {
    const l = await ledgerWith({ signer: alice });
    const a = await l.issue({ worker: bob, amount: 50n * PRICE, work: 50n });
    expect(a).toMatchObject({ requester: alice.address, worker: bob, cumulativeAmount: 50n * PRICE, cumulativeWork: 50n, status: 'stored' });
    const many = await Promise.all(Array.from({ length: 10 }, () => l.issue({ worker: bob, amount: PRICE, work: 1n })));
    expect(new Set(many.map((m) => m.cumulativeAmount)).size).toBe(10);
    const latest = (await l.receipt(alice.address, bob))!;
    expect(latest.cumulativeAmount).toBe(60n * PRICE);
    expect(latest.cumulativeWork).toBe(60n);
    // What it issues, another ledger accepts.
    const other = await ledgerWith();
    const { status: _s, digest: _d, added: _a, pending: _p, ...signed } = many.reduce((x, y) => (x.cumulativeAmount > y.cumulativeAmount ? x : y));
    expect((await other.accept(signed)).status).toBe('stored');
  });

  it('refuses beyond escrow without signing or storing; needs a signer', async () => {
    const l = await ledgerWith({ signer: alice, escrow: { [alice.address]: MESH } });
    await rejects(l.issue({ worker: bob, amount: 2n * MESH, work: 200n }), 'EscrowExceededError', 'receipt.cumulativeAmount');
    expect(await l.store.countReceipts()).toBe(0);
    await rejects(l.issue({ worker: bob, amount: 0n, work: 1n }), 'InvalidFieldError', 'issue.amount');
    const anon = await ledgerWith();
    await rejects(anon.issue({ worker: bob, amount: PRICE, work: 1n }), 'NoIdentityError', 'signer');
  });
});

describe('balances are a function of the receipt set', () => {
  // Receipt chains per pair, all within escrow; any order with duplicates gives the same result.
  const requesters = [alice, carol, testKey('ryan')];
  const workers = [bob, dave, testKey('wen').address];
  const pool: SignedReceipt[] = [];
  for (const q of requesters) for (const w of workers) for (let k = 1; k <= 3; k++) pool.push(signedReceipt(q, w, BigInt(k) * 10n * PRICE, BigInt(k) * 10n));
  const escrow = Object.fromEntries(requesters.map((q) => [q.address, 100n * MESH]));
  const chain = { blockNumber: 1n, escrows: requesters.map((q) => ({ requester: q.address, amount: 100n * MESH })), settled: [{ requester: alice.address, worker: bob, amount: 10n * PRICE, work: 10n }] };

  it('any order, any duplicates → the same latest receipts and balances (fast-check)', async () => {
    let reference: unknown;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(pool, { minLength: 1 }), fc.array(fc.nat({ max: pool.length - 1 }), { maxLength: 10 }), fc.boolean(), async (subset, dupIdx, parallel) => {
        const stream = [...subset, ...dupIdx.map((i) => subset[i % subset.length]!)];
        const l = await ledgerWith({ escrow });
        await l.applyChainState(chain);
        if (parallel) await Promise.allSettled(stream.map((r) => l.accept(r)));
        else for (const r of stream) await l.accept(r).catch((e) => expect(['ReplayError']).toContain(e.name));
        const b = await l.balances();
        // Same as the pure function over the raw subset (superseded receipts included).
        expect(b).toEqual(computeBalances(subset, { escrows: chain.escrows.map((e) => ({ ...e, blockNumber: 1n })), settled: chain.settled }));
        if (subset.length === pool.length) {
          reference ??= b;
          expect(b).toEqual(reference);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('the full set in two opposite orders gives identical stores', async () => {
    const a = await ledgerWith({ escrow });
    const b = await ledgerWith({ escrow });
    for (const r of pool) await a.accept(r).catch(() => undefined);
    for (const r of [...pool].reverse()) await b.accept(r).catch(() => undefined);
    expect(await a.receipts()).toEqual(await b.receipts());
    expect(await a.balances()).toEqual(await b.balances());
  });
});

describe('concurrent writers on one IndexedDB database', () => {
  it('two Ledger instances: parallel accepts respect escrow and nothing acknowledged is lost', async () => {
    const dbName = `two-writers-${Date.now()}`;
    const l1 = await ledgerWith({ store: new IdbReceiptStore({ dbName }), escrow: { [alice.address]: 10n * MESH } });
    const l2 = new Ledger({ store: new IdbReceiptStore({ dbName }), domain: TEST_DOMAIN });
    await l2.start();
    const workers = Array.from({ length: 24 }, (_, i) => testKey(`cw${i}`).address);
    const acks: Address[] = [];
    const all = await Promise.allSettled(
      workers.map((w, i) => (i % 2 ? l1 : l2).accept(signedReceipt(alice, w, 1n * MESH, 100n)).then((r) => (acks.push(w), r))),
    );
    expect(all.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    await l1.stop();
    await l2.stop();
    const reopened = new Ledger({ store: new IdbReceiptStore({ dbName }), domain: TEST_DOMAIN });
    await reopened.start();
    const stored = (await reopened.receipts()).map((r) => r.worker).sort();
    expect(stored).toEqual([...acks].sort());
    expect((await reopened.balances()).requesters[alice.address]!.owed).toBe(10n * MESH);
    await reopened.stop();
  });

  it('two instances issuing for one pair never sign the same cumulative twice', async () => {
    const dbName = `two-issuers-${Date.now()}`;
    const l1 = await ledgerWith({ store: new IdbReceiptStore({ dbName }), signer: alice });
    const l2 = new Ledger({ store: new IdbReceiptStore({ dbName }), domain: TEST_DOMAIN, signer: alice });
    await l2.start();
    const out = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? l1 : l2).issue({ worker: bob, amount: PRICE, work: 1n })));
    expect(new Set(out.map((o) => o.cumulativeAmount)).size).toBe(12);
    expect((await l1.receipt(alice.address, bob))!.cumulativeAmount).toBe(12n * PRICE);
    await l1.stop();
    await l2.stop();
  });
});

describe('settlement, anchoring and inclusion proofs', () => {
  it('settleable → submitted → settled batch → anchored epoch with verifying proofs', async () => {
    const l = await ledgerWith();
    const workers = [bob, dave, testKey('w3').address];
    for (const w of workers) await l.accept(signedReceipt(alice, w, 10n * PRICE, 10n));
    await l.accept(signedReceipt(carol, bob, 5n * PRICE, 5n));
    const todo = await l.settleable();
    expect(todo).toHaveLength(4);
    const tx = `0x${'ab'.repeat(32)}` as Hex;
    await l.markSubmitted(tx, todo.slice(0, 3));
    expect(await l.settleable()).toHaveLength(1);
    await l.markFailed(tx);
    expect(await l.settleable()).toHaveLength(4);
    await l.markSubmitted(tx, todo.slice(0, 3));
    const batch0 = todo.slice(0, 3).map((r) => r.digest);
    const batch1 = [todo[3]!.digest];
    const roots = [merkleRoot(batch0), merkleRoot(batch1)];
    await l.applyChainState({
      blockNumber: 5n,
      settled: todo.map((r) => ({ requester: r.requester, worker: r.worker, amount: r.cumulativeAmount, work: r.cumulativeWork })),
      batches: [{ epoch: 3, batchIndex: 0, root: roots[0]!, txHash: tx, leaves: batch0 }, { epoch: 3, batchIndex: 1, root: roots[1]! }],
    });
    expect((await l.settlement(batch0[1]!))).toMatchObject({ status: 'settled', epoch: 3, batchIndex: 0, leafIndex: 1, txHash: tx });
    expect(await l.inclusionProof(batch0[1]!)).toBeUndefined();
    expect(await l.settleable()).toHaveLength(0);
    expect((await l.balances()).totals.pending).toBe(0n);
    const settledEvents: number[] = [];
    l.on('settlement', (s) => settledEvents.push(s.length));
    await l.applyChainState({ blockNumber: 6n, anchors: [{ epoch: 3, root: merkleRoot(roots) }] });
    expect(settledEvents).toEqual([3]);
    for (const d of batch0) {
      const p = (await l.inclusionProof(d))!;
      expect(p.epochRoot).toBe(merkleRoot(roots));
      expect(verifyMerkleProof(p.proof, p.epochRoot, d)).toBe(true);
    }
    expect(await l.inclusionProof(batch1[0]!)).toBeUndefined(); // its leaves were not given
  });
});

describe('worker claims and equivocation', () => {
  const jobId = 'cd'.repeat(32);
  const h = (x: string) => x.repeat(32);
  it('stores verified claims in one batch and turns a conflicting claim into evidence', async () => {
    const l = await ledgerWith();
    const k = ClaimKey.generate();
    const claim = (unitIndex: number, outputHash: string) => ({ worker: k.address as Address, jobId, unitIndex, outputHash, signature: bytesToHex(k.sign({ jobId, unitIndex, outputHash })) });
    const evidence: unknown[] = [];
    l.on('evidence', (e) => evidence.push(...e));
    expect(await l.recordClaims([claim(0, h('aa')), claim(1, h('bb')), claim(0, h('aa'))])).toEqual({ stored: 2, duplicates: 1, evidence: [] });
    const res = await l.recordClaims([claim(1, h('cc'))]);
    expect(res.evidence).toHaveLength(1);
    expect(evidence).toHaveLength(1);
    expect(await l.claims(jobId)).toHaveLength(2);
    await rejects(l.recordClaims([{ ...claim(2, h('dd')), worker: bob }]), 'ClaimVerificationError', 'claims[0].signature');
    await rejects(l.recordClaims([{ ...claim(2, h('dd')), outputHash: 'xyz' }]), 'InvalidFieldError', 'claims[0].outputHash');
    // Evidence from elsewhere is verified before it is kept.
    const other = await ledgerWith();
    expect(await other.recordEvidence(res.evidence)).toBe(1);
    const e0 = res.evidence[0]!;
    await rejects(other.recordEvidence([{ ...e0, hashB: h('ee') }]), 'ClaimVerificationError', 'evidence[0].b.signature');
    await rejects(other.recordEvidence([{ ...e0, hashB: e0.hashA, sigB: e0.sigA }]), 'InvalidFieldError', 'evidence[0].hashB');
  });
});

describe('chain state input is checked', () => {
  it('names the field of a malformed chain update', async () => {
    const l = await ledgerWith();
    await rejects(l.applyChainState({ blockNumber: 1n, escrows: [{ requester: '0x12' as Address, amount: 1n }] }), 'InvalidFieldError', 'chain.escrows[0].requester');
    await rejects(l.applyChainState({ blockNumber: 1n, settled: [{ requester: alice.address, worker: bob, amount: -1n, work: 0n }] }), 'AmountOutOfRangeError', 'chain.settled[0].amount');
    await rejects(l.applyChainState({ blockNumber: 1n, anchors: [{ epoch: -1, root: `0x${'00'.repeat(32)}` }] }), 'InvalidFieldError', 'chain.anchors[0].epoch');
  });

  it('a shared memory backend behaves like one database', async () => {
    const backend = new MemoryBackend();
    const a = await ledgerWith({ store: new MemoryReceiptStore(backend) });
    const b = new Ledger({ store: new MemoryReceiptStore(backend), domain: TEST_DOMAIN });
    await b.start();
    await a.accept(signedReceipt(alice, bob, PRICE, 1n));
    expect(await b.receipts()).toHaveLength(1);
  });
});
