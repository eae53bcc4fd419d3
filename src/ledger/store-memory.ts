/**
 * In-memory `ReceiptStore` (tests; tabs without IndexedDB). Same semantics as the IndexedDB store:
 * every call is atomic and calls are serialised; values are copied in and out (structuredClone), so
 * a caller mutating an object it passed or got back changes nothing stored. Two stores built on
 * one `MemoryBackend` share data, like two connections to one database.
 *
 * @example
 * const backend = new MemoryBackend();
 * const a = new MemoryReceiptStore(backend), b = new MemoryReceiptStore(backend); // same data
 */
import type { Address, Hex } from 'viem';
import { pairKey, type PairKey } from './receipt.ts';
import {
  claimKey,
  pairKeyInRange,
  settledIsNewer,
  type AnchorRecord,
  type BatchRecord,
  type ChainApplyResult,
  type ChainSnapshot,
  type ChainStateUpdate,
  type ClaimRecord,
  type EquivocationEvidence,
  type EscrowRecord,
  type ListReceiptsOptions,
  type PutClaimsResult,
  type ReceiptStore,
  type ReceiptWrite,
  type ReceiptWriteOutcome,
  type SettledRecord,
  type SettlementRecord,
  type SettlementStatus,
  type StoredReceipt,
} from './store.ts';
import type { SettledPair } from './verify-receipt.ts';

/** The data; shared by every store built on it. */
export class MemoryBackend {
  readonly receipts = new Map<PairKey, StoredReceipt>();
  readonly claims = new Map<string, ClaimRecord>();
  readonly evidence = new Map<string, EquivocationEvidence>();
  readonly escrow = new Map<Address, EscrowRecord>();
  readonly settled = new Map<PairKey, SettledRecord>();
  readonly batches = new Map<string, BatchRecord>();
  readonly anchors = new Map<number, AnchorRecord>();
  readonly settlements = new Map<Hex, SettlementRecord>();
  /** requester → its pair keys. */
  readonly byRequester = new Map<Address, Set<PairKey>>();
  blockNumber = 0n;
  /** Serialises calls across stores sharing the backend. */
  lock: Promise<unknown> = Promise.resolve();
  #sorted: PairKey[] | null = null;
  sortedKeys(): PairKey[] {
    this.#sorted ??= [...this.receipts.keys()].sort();
    return this.#sorted;
  }
  invalidate(): void {
    this.#sorted = null;
  }
}

const ZERO: SettledPair = { amount: 0n, work: 0n };
const clone = <T>(v: T): T => structuredClone(v);
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** IndexedDB order of [worker, jobId, unitIndex]. */
const cmpClaimKey = (a: { worker: string; jobId: string; unitIndex: number }, b: { worker: string; jobId: string; unitIndex: number }) =>
  cmpStr(a.worker, b.worker) || cmpStr(a.jobId, b.jobId) || a.unitIndex - b.unitIndex;

export class MemoryReceiptStore implements ReceiptStore {
  readonly #b: MemoryBackend;
  #open = false;

  constructor(backend: MemoryBackend = new MemoryBackend()) {
    this.#b = backend;
  }

  async open(): Promise<void> {
    this.#open = true;
  }
  async close(): Promise<void> {
    this.#open = false;
  }

  #run<T>(fn: () => T): Promise<T> {
    if (!this.#open) return Promise.reject(new Error('MemoryReceiptStore: not open'));
    const p = this.#b.lock.then(fn);
    this.#b.lock = p.catch(() => undefined);
    return p;
  }

  getReceipt(requester: Address, worker: Address): Promise<StoredReceipt | undefined> {
    return this.#run(() => {
      const r = this.#b.receipts.get(pairKey(requester, worker));
      return r && clone(r);
    });
  }

  listReceipts(opts: ListReceiptsOptions = {}): Promise<StoredReceipt[]> {
    return this.#run(() => {
      const out: StoredReceipt[] = [];
      const limit = opts.limit ?? Infinity;
      for (const k of this.#b.sortedKeys()) {
        if (out.length >= limit) break;
        if (!pairKeyInRange(k, opts)) continue;
        const r = this.#b.receipts.get(k)!;
        if (opts.requester && r.requester !== opts.requester) continue;
        if (opts.worker && r.worker !== opts.worker) continue;
        if (opts.bucket !== undefined && r.bucket !== opts.bucket) continue;
        out.push(clone(r));
      }
      return out;
    });
  }

  countReceipts(): Promise<number> {
    return this.#run(() => this.#b.receipts.size);
  }

  writeReceipts<T>(items: ReadonlyArray<ReceiptWrite<T>>): Promise<ReceiptWriteOutcome<T>[]> {
    return this.#run(() => {
      const b = this.#b;
      // Stage writes; apply all at the end (the call is atomic: a throw below leaves nothing half-done).
      const staged = new Map<PairKey, StoredReceipt>();
      const get = (k: PairKey) => staged.get(k) ?? b.receipts.get(k);
      const outcomes: ReceiptWriteOutcome<T>[] = [];
      for (const item of items) {
        const key = pairKey(item.requester, item.worker);
        const keys = new Set(b.byRequester.get(item.requester));
        for (const [k, r] of staged) if (r.requester === item.requester) keys.add(k);
        const sp = (k: PairKey): SettledPair => {
          const x = b.settled.get(k);
          return x ? { amount: x.amount, work: x.work } : ZERO;
        };
        const requesterPairs = [...keys].sort().map((k) => ({ receipt: clone(get(k)!), settled: sp(k) }));
        const existing = get(key);
        try {
          const d = item.decide({
            existing: existing && clone(existing),
            settled: sp(key),
            escrow: b.escrow.get(item.requester)?.amount ?? 0n,
            requesterPairs,
          });
          if (d.write) staged.set(key, clone(d.write));
          outcomes.push({ ok: true, value: d.value, written: !!d.write });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      for (const [k, r] of staged) {
        if (!b.receipts.has(k)) {
          b.invalidate();
          let set = b.byRequester.get(r.requester);
          if (!set) b.byRequester.set(r.requester, (set = new Set()));
          set.add(k);
        }
        b.receipts.set(k, r);
      }
      return outcomes;
    });
  }

  putClaims(claims: ReadonlyArray<ClaimRecord>): Promise<PutClaimsResult> {
    return this.#run(() => {
      const res: PutClaimsResult = { stored: 0, duplicates: 0, evidence: [] };
      for (const c of claims) {
        const k = claimKey(c);
        const prev = this.#b.claims.get(k);
        if (!prev) {
          this.#b.claims.set(k, clone(c));
          res.stored++;
        } else if (prev.outputHash === c.outputHash) {
          res.duplicates++;
        } else if (!this.#b.evidence.has(k)) {
          const ev: EquivocationEvidence = { worker: c.worker, jobId: c.jobId, unitIndex: c.unitIndex, hashA: prev.outputHash, sigA: prev.signature, hashB: c.outputHash, sigB: c.signature };
          this.#b.evidence.set(k, ev);
          res.evidence.push(clone(ev));
        }
      }
      return res;
    });
  }

  getClaims(jobId: string): Promise<ClaimRecord[]> {
    return this.#run(() =>
      [...this.#b.claims.values()]
        .filter((c) => c.jobId === jobId)
        .sort((a, b) => a.unitIndex - b.unitIndex || (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0))
        .map(clone),
    );
  }

  putEvidence(evidence: ReadonlyArray<EquivocationEvidence>): Promise<number> {
    return this.#run(() => {
      let n = 0;
      for (const e of evidence) {
        const k = claimKey(e);
        if (this.#b.evidence.has(k)) continue;
        this.#b.evidence.set(k, clone(e));
        n++;
      }
      return n;
    });
  }

  listEvidence(): Promise<EquivocationEvidence[]> {
    return this.#run(() => [...this.#b.evidence.values()].sort(cmpClaimKey).map(clone));
  }

  applyChainState(u: ChainStateUpdate): Promise<ChainApplyResult> {
    return this.#run(() => {
      const b = this.#b;
      const res: ChainApplyResult = { escrows: 0, settled: 0, batches: 0, anchors: 0 };
      for (const e of u.escrows ?? []) {
        const prev = b.escrow.get(e.requester);
        if (prev && prev.blockNumber > u.blockNumber) continue;
        if (prev && prev.amount === e.amount && prev.blockNumber === u.blockNumber) continue;
        b.escrow.set(e.requester, { requester: e.requester, amount: e.amount, blockNumber: u.blockNumber });
        if (!prev || prev.amount !== e.amount) res.escrows++;
      }
      for (const s of u.settled ?? []) {
        const k = pairKey(s.requester, s.worker);
        if (!settledIsNewer(s, b.settled.get(k))) continue;
        b.settled.set(k, { requester: s.requester, worker: s.worker, amount: s.amount, work: s.work });
        res.settled++;
      }
      for (const x of u.batches ?? []) {
        const k = `${x.epoch}:${x.batchIndex}`;
        const prev = b.batches.get(k);
        if (prev && prev.root === x.root && (prev.leaves || !x.leaves) && (prev.txHash || !x.txHash)) continue;
        b.batches.set(k, clone({ ...prev, ...x, leaves: x.leaves ?? prev?.leaves, txHash: x.txHash ?? prev?.txHash }));
        res.batches++;
      }
      for (const a of u.anchors ?? []) {
        if (b.anchors.get(a.epoch)?.root === a.root) continue;
        b.anchors.set(a.epoch, clone(a));
        res.anchors++;
      }
      if (u.blockNumber > b.blockNumber) b.blockNumber = u.blockNumber;
      return res;
    });
  }

  getChainState(): Promise<ChainSnapshot> {
    return this.#run(() => ({
      blockNumber: this.#b.blockNumber,
      escrows: [...this.#b.escrow.values()].sort((a, b) => (a.requester < b.requester ? -1 : 1)).map(clone),
      settled: [...this.#b.settled.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => clone(s)),
    }));
  }

  listBatches(epoch?: number): Promise<BatchRecord[]> {
    return this.#run(() =>
      [...this.#b.batches.values()]
        .filter((x) => epoch === undefined || x.epoch === epoch)
        .sort((a, b) => a.epoch - b.epoch || a.batchIndex - b.batchIndex)
        .map(clone),
    );
  }

  listAnchors(): Promise<AnchorRecord[]> {
    return this.#run(() => [...this.#b.anchors.values()].sort((a, b) => a.epoch - b.epoch).map(clone));
  }

  putSettlements(records: ReadonlyArray<SettlementRecord>): Promise<void> {
    return this.#run(() => {
      for (const r of records) this.#b.settlements.set(r.digest, clone(r));
    });
  }

  getSettlement(digest: Hex): Promise<SettlementRecord | undefined> {
    return this.#run(() => {
      const r = this.#b.settlements.get(digest);
      return r && clone(r);
    });
  }

  listSettlements(status?: SettlementStatus): Promise<SettlementRecord[]> {
    return this.#run(() =>
      [...this.#b.settlements.values()]
        .filter((r) => status === undefined || r.status === status)
        .sort((a, b) => (a.digest < b.digest ? -1 : 1))
        .map(clone),
    );
  }
}
