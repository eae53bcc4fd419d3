import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Address } from 'viem';
import { DecodeError, LedgerError } from './errors.ts';
import { Ledger } from './ledger.ts';
import type { SignedReceipt } from './receipt.ts';
import { MemoryReceiptStore } from './store-memory.ts';
import { IdbReceiptStore } from './store-idb.ts';
import type { ReceiptStore } from './store.ts';
import { ReceiptGossip, SyncClient, SyncServer, summarize } from './sync.ts';
import {
  MAX_SYNC_RESPONSE_BYTES,
  RECEIPT_MESSAGE_BYTES,
  decodeReceiptMessage,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeReceiptMessage,
  encodeSyncRequest,
  encodeSyncResponse,
} from './sync-messages.ts';
import { MESH, PRICE, TEST_DOMAIN, signedReceipt, testKey, type TestKey } from './testing.ts';

const requesters: TestKey[] = Array.from({ length: 6 }, (_, i) => testKey(`sreq${i}`));
const workers: Address[] = Array.from({ length: 40 }, (_, i) => testKey(`swrk${i}`).address);

async function ledger(store: ReceiptStore = new MemoryReceiptStore()): Promise<Ledger> {
  const l = new Ledger({ store, domain: TEST_DOMAIN });
  await l.start();
  await l.applyChainState({ blockNumber: 1n, escrows: requesters.map((q) => ({ requester: q.address, amount: 1000n * MESH })) });
  return l;
}

/** 240 pairs, receipt number `k` for each. */
const receipts = (k: number): SignedReceipt[] => requesters.flatMap((q) => workers.map((w) => signedReceipt(q, w, BigInt(k) * 10n * PRICE, BigInt(k) * 10n)));
const R1 = receipts(1);
const R2 = receipts(2);

async function state(l: Ledger) {
  return { receipts: await l.receipts(), balances: await l.balances() };
}

describe('catch-up sync', () => {
  it('a late joiner gets everything in pages, without gossip; a second catch-up asks nothing', async () => {
    const a = await ledger();
    await a.acceptMany(R1);
    const b = await ledger();
    const server = new SyncServer(a);
    const sizes: number[] = [];
    const send = async (bytes: Uint8Array) => {
      const res = await server.handle(bytes);
      sizes.push(res.length);
      return res;
    };
    const report = await new SyncClient(b, { pageSize: 16 }).catchUp(send);
    expect(report.stored).toBe(R1.length);
    expect(report.refused).toEqual({});
    expect(await state(b)).toEqual(await state(a));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_SYNC_RESPONSE_BYTES);
    const again = await new SyncClient(b).catchUp(send);
    expect(again).toMatchObject({ buckets: 0, pages: 0, received: 0 });
  });

  it('sends only newer receipts: both sides end equal after pulling from each other', async () => {
    const a = await ledger();
    const b = await ledger();
    // a: newer for the first half of the pairs, b: newer for the second half.
    const half = R1.length / 2;
    await a.acceptMany([...R2.slice(0, half), ...R1.slice(half)]);
    await b.acceptMany([...R1.slice(0, half), ...R2.slice(half)]);
    const rab = await new SyncClient(b, { pageSize: 7, maxHaves: 3 }).catchUp((x) => new SyncServer(a).handle(x));
    expect(rab.stored).toBe(half);
    expect(rab.received).toBe(half); // nothing b already had at that cumulative or above
    const rba = await new SyncClient(a).catchUp((x) => new SyncServer(b).handle(x));
    expect(rba.stored).toBe(half);
    expect(await state(a)).toEqual(await state(b));
    expect((await a.receipts()).every((r) => r.cumulativeWork === 20n)).toBe(true);
  });

  it('a tab reloaded mid-sync keeps every acknowledged page and resumes with only what is missing', async () => {
    const a = await ledger();
    await a.acceptMany(R1);
    const dbName = `midsync-${Date.now()}`;
    const b = await ledger(new IdbReceiptStore({ dbName }));
    const acked: string[] = [];
    b.on('receipt', (e) => acked.push(e.receipt.digest));
    const server = new SyncServer(a);
    let calls = 0;
    const crashing = async (x: Uint8Array) => {
      if (++calls > 6) throw new Error('tab closed');
      return server.handle(x);
    };
    await expect(new SyncClient(b, { pageSize: 8 }).catchUp(crashing)).rejects.toThrow('tab closed');
    expect(acked.length).toBeGreaterThan(0);
    await b.stop();
    const b2 = await ledger(new IdbReceiptStore({ dbName }));
    const have = new Set<string>((await b2.receipts()).map((r) => r.digest));
    for (const d of acked) expect(have.has(d)).toBe(true);
    const report = await new SyncClient(b2).catchUp((x) => server.handle(x));
    expect(report.received).toBe(R1.length - have.size);
    expect(await state(b2)).toEqual(await state(a));
    await b2.stop();
  });

  it('refuses a summary from another domain', async () => {
    const a = new Ledger({ store: new MemoryReceiptStore(), domain: { ...TEST_DOMAIN, chainId: 1n } });
    await a.start();
    const b = await ledger();
    await expect(new SyncClient(b).catchUp((x) => new SyncServer(a).handle(x))).rejects.toMatchObject({ name: 'DecodeError', field: 'sync.summary.chainId' });
  });

  it('forged receipts from a faulty server are refused by name and stored state stays valid', async () => {
    const b = await ledger();
    const forged = { ...R1[0]!, cumulativeAmount: R1[0]!.cumulativeAmount + 1n };
    const real = new SyncServer(await ledger());
    const evil = async (x: Uint8Array) => {
      const req = decodeSyncRequest(x);
      if (req.type === 'summary-request') {
        const s = decodeSyncResponse(await real.handle(x));
        if (s.type !== 'summary') throw new Error();
        const buckets = summarize([]);
        const stored = { ...forged, digest: `0x${'11'.repeat(32)}` as const, bucket: (await b.verify(R1[0]!)).bucket };
        buckets[stored.bucket] = summarize([stored])[stored.bucket]!;
        return encodeSyncResponse({ type: 'summary', msg: { ...s.msg, total: 1, buckets } });
      }
      return encodeSyncResponse({ type: 'pull-response', msg: { receipts: [forged, R1[1]!] } });
    };
    const report = await new SyncClient(b).catchUp(evil);
    expect(report.refused).toEqual({ SignerMismatchError: 1 });
    expect(report.unexpected).toBeLessThanOrEqual(1);
    expect((await b.receipts()).every((r) => r.digest !== undefined)).toBe(true);
  });
});

describe('gossip', () => {
  it('publish → receive stores; validate refuses tampered bytes without touching state', async () => {
    const a = await ledger();
    const b = await ledger();
    const wire: Uint8Array[] = [];
    const ga = new ReceiptGossip(a, (bytes) => wire.push(bytes));
    const gb = new ReceiptGossip(b, () => undefined);
    await ga.publish(R1[0]!);
    expect(wire[0]!.length).toBe(RECEIPT_MESSAGE_BYTES);
    expect(gb.validate(wire[0]!).digest).toBeDefined();
    expect((await gb.receive(wire[0]!)).status).toBe('stored');
    expect((await gb.receive(wire[0]!)).status).toBe('duplicate');
    const tampered = wire[0]!.slice();
    tampered[100]! ^= 1;
    expect(() => gb.validate(tampered)).toThrow(LedgerError);
    await expect(gb.receive(tampered)).rejects.toBeInstanceOf(LedgerError);
    expect(await b.store.countReceipts()).toBe(1);
    expect(decodeReceiptMessage(encodeReceiptMessage(R1[5]!))).toEqual(R1[5]);
  });
});

describe('codec fuzz: bad bytes give only the typed error and never change state', () => {
  const validMessages = (): Uint8Array[] => [
    encodeReceiptMessage(R1[0]!),
    encodeSyncRequest({ type: 'summary-request' }),
    encodeSyncRequest({ type: 'pull-request', msg: { bucket: 3, limit: 9, after: `${requesters[0]!.address}:${workers[0]!}`, haves: [{ pair: `${requesters[1]!.address}:${workers[1]!}`, cumulativeAmount: 5n }] } }),
    encodeSyncResponse({ type: 'summary', msg: { chainId: 31337n, verifyingContract: TEST_DOMAIN.verifyingContract, total: 0, buckets: summarize([]) } }),
    encodeSyncResponse({ type: 'pull-response', msg: { receipts: [R1[0]!, R1[1]!], next: `${requesters[0]!.address}:${workers[0]!}` } }),
  ];

  const decodeAll = (bytes: Uint8Array) => {
    for (const fn of [decodeReceiptMessage, decodeSyncRequest, decodeSyncResponse]) {
      try {
        fn(bytes);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw new Error(`${fn.name} threw ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
  };

  it('round-trips every valid message', () => {
    for (const m of validMessages()) {
      const tag = m[0];
      if (tag === 1) expect(encodeReceiptMessage(decodeReceiptMessage(m))).toEqual(m);
      else if (tag === 2 || tag === 4) expect(encodeSyncRequest(decodeSyncRequest(m))).toEqual(m);
      else expect(encodeSyncResponse(decodeSyncResponse(m))).toEqual(m);
    }
  });

  it('random bytes and mutated valid messages', () => {
    const valid = validMessages();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodeAll(bytes)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }), fc.integer({ min: -8, max: 8 }), (which, flips, resize) => {
        const src = valid[which]!;
        let m = src.slice();
        for (const [at, v] of flips) m[at % m.length] = v;
        if (resize < 0) m = m.slice(0, Math.max(0, m.length + resize));
        else if (resize > 0) m = Uint8Array.from([...m, ...new Array(resize).fill(0)]);
        decodeAll(m);
      }),
      { numRuns: 3000 },
    );
  });

  it('through the ledger: gossip, server and client never throw untyped errors nor change state', async () => {
    const l = await ledger();
    await l.acceptMany(R1.slice(0, 20));
    const before = await state(l);
    const gossip = new ReceiptGossip(l, () => undefined);
    const server = new SyncServer(l);
    const valid = validMessages();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat(), fc.nat({ max: 255 })).map(([w, at, v]) => {
        const m = valid[w]!.slice();
        m[at % m.length] = v;
        return m;
      })), async (bytes) => {
        for (const p of [gossip.receive(bytes), server.handle(bytes), new SyncClient(l).catchUp(async () => bytes)]) {
          try {
            await p;
          } catch (e) {
            expect(e).toBeInstanceOf(LedgerError);
          }
        }
      }),
      { numRuns: 300 },
    );
    // A valid receipt message could only ever add a receipt with a good signature: none here.
    expect(await state(l)).toEqual(before);
  });

  it('oversized input is refused before decoding', () => {
    expect(() => decodeSyncResponse(new Uint8Array(MAX_SYNC_RESPONSE_BYTES + 1))).toThrow(expect.objectContaining({ name: 'DecodeError', field: 'sync' }));
    expect(() => decodeReceiptMessage(new Uint8Array(RECEIPT_MESSAGE_BYTES + 1))).toThrow(expect.objectContaining({ name: 'DecodeError', field: 'receipt' }));
    expect(() => encodeSyncRequest({ type: 'pull-request', msg: { bucket: 0, limit: 999, haves: [] } })).toThrow(expect.objectContaining({ name: 'EncodeError', field: 'pull.limit' }));
  });
});
