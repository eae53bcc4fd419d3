/**
 * IndexedDB `ReceiptStore` (idb). One database per ledger (default `tabmesh-ledger`), versioned:
 * the schema is the list `LEDGER_MIGRATIONS`, the database version is its length, and opening an
 * older database runs the missing steps in order inside the upgrade transaction (all or nothing).
 * A database newer than this code is refused with `SchemaVersionError` rather than misread.
 *
 * Every write is one readwrite transaction with `durability: 'strict'` and resolves on `complete`:
 * what a call acknowledged is on disk. Decisions in `writeReceipts` run synchronously between
 * IndexedDB requests of the same transaction, so the transaction stays alive and no other writer
 * (another Ledger on the same database, another tab) interleaves.
 *
 * @example
 * const store = new IdbReceiptStore({ dbName: 'tabmesh-ledger' });
 * await store.open();
 */
import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { Address, Hex } from 'viem';
import { SchemaVersionError } from './errors.ts';
import { pairKey, type PairKey } from './receipt.ts';
import {
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

type Db = IDBPDatabase<unknown>;
type UpgradeTx = IDBPTransaction<unknown, string[], 'versionchange'>;
/** One schema step: runs inside the upgrade transaction when the database is below its version. */
export type LedgerMigration = (db: Db, tx: UpgradeTx) => void;

/** Schema history. Append only: never edit a step that has shipped. */
export const LEDGER_MIGRATIONS: readonly LedgerMigration[] = [
  // v1
  (db) => {
    const receipts = db.createObjectStore('receipts', { keyPath: ['requester', 'worker'] });
    receipts.createIndex('byRequester', 'requester');
    receipts.createIndex('byBucket', ['bucket', 'requester', 'worker']);
    const claims = db.createObjectStore('claims', { keyPath: ['worker', 'jobId', 'unitIndex'] });
    claims.createIndex('byJob', 'jobId');
    db.createObjectStore('evidence', { keyPath: ['worker', 'jobId', 'unitIndex'] });
    db.createObjectStore('escrow', { keyPath: 'requester' });
    db.createObjectStore('settled', { keyPath: ['requester', 'worker'] });
    db.createObjectStore('batches', { keyPath: ['epoch', 'batchIndex'] });
    db.createObjectStore('anchors', { keyPath: 'epoch' });
    const settlements = db.createObjectStore('settlements', { keyPath: 'digest' });
    settlements.createIndex('byStatus', 'status');
    db.createObjectStore('meta');
  },
];

export interface IdbReceiptStoreOptions {
  dbName?: string;
  /** Schema steps (tests pass a longer list to exercise an upgrade). Default LEDGER_MIGRATIONS. */
  migrations?: readonly LedgerMigration[];
  /** Default 'strict': a write resolves once it is flushed. */
  durability?: 'strict' | 'default' | 'relaxed';
  /** Another connection asks to upgrade the schema: we close (default) so it can proceed. */
  onVersionChange?: () => void;
}

const ZERO: SettledPair = { amount: 0n, work: 0n };
const MAX_KEY = '\uffff';
const pairRange = (requester: Address) => IDBKeyRange.bound([requester, ''], [requester, MAX_KEY]);
const fromPairKey = (k: PairKey): [string, string] => [k.slice(0, 42), k.slice(43)];

export class IdbReceiptStore implements ReceiptStore {
  readonly dbName: string;
  readonly #migrations: readonly LedgerMigration[];
  readonly #durability: 'strict' | 'default' | 'relaxed';
  readonly #opts: IdbReceiptStoreOptions;
  #db: Promise<Db> | null = null;

  constructor(opts: IdbReceiptStoreOptions = {}) {
    this.dbName = opts.dbName ?? 'tabmesh-ledger';
    this.#migrations = opts.migrations ?? LEDGER_MIGRATIONS;
    this.#durability = opts.durability ?? 'strict';
    this.#opts = opts;
  }

  get version(): number {
    return this.#migrations.length;
  }

  async open(): Promise<void> {
    await this.#database();
  }

  #database(): Promise<Db> {
    if (!this.#db) {
      const migrations = this.#migrations;
      const target = migrations.length;
      const p = openDB(this.dbName, target, {
        upgrade(db, oldVersion, _newVersion, tx) {
          tx.done.catch(() => undefined); // a failing step aborts the upgrade; openDB rejects with it
          for (let v = oldVersion; v < target; v++) migrations[v]!(db, tx as unknown as UpgradeTx);
        },
        blocking: () => {
          void p.then((db) => db.close());
          this.#db = null;
          this.#opts.onVersionChange?.();
        },
      }).catch((e: unknown) => {
        this.#db = null;
        if ((e as Error)?.name === 'VersionError') throw new SchemaVersionError('dbName', `database "${this.dbName}" has a newer schema than version ${target} this code knows`);
        throw e;
      });
      this.#db = p;
    }
    return this.#db;
  }

  async close(): Promise<void> {
    const p = this.#db;
    this.#db = null;
    if (p) (await p.catch(() => undefined))?.close();
  }

  async getReceipt(requester: Address, worker: Address): Promise<StoredReceipt | undefined> {
    return (await (await this.#database()).get('receipts', [requester, worker])) as StoredReceipt | undefined;
  }

  async listReceipts(opts: ListReceiptsOptions = {}): Promise<StoredReceipt[]> {
    const db = await this.#database();
    const tx = db.transaction('receipts', 'readonly');
    const store = tx.objectStore('receipts');
    const lo = opts.after ? fromPairKey(opts.after) : undefined;
    const hi = opts.through ? fromPairKey(opts.through) : undefined;
    let rows: StoredReceipt[];
    const limit = opts.limit;
    if (opts.bucket !== undefined) {
      const lower = lo ? [opts.bucket, ...lo] : [opts.bucket];
      const upper = hi ? [opts.bucket, ...hi] : [opts.bucket, MAX_KEY];
      const filtered = !!(opts.requester || opts.worker);
      rows = (await store.index('byBucket').getAll(IDBKeyRange.bound(lower, upper, !!lo, false), filtered ? undefined : limit)) as StoredReceipt[];
    } else {
      // Bounds on the primary key [requester, worker]: the tighter of the cursor and the requester.
      let lower: unknown[] | undefined = lo;
      let lowerOpen = !!lo;
      let upper: unknown[] | undefined = hi;
      if (opts.requester) {
        if (!lower || indexedDB.cmp(lower, [opts.requester, '']) < 0) (lower = [opts.requester, '']), (lowerOpen = false);
        if (!upper || indexedDB.cmp(upper, [opts.requester, MAX_KEY]) > 0) upper = [opts.requester, MAX_KEY];
      }
      const empty = lower && upper && (indexedDB.cmp(lower, upper) > 0 || (lowerOpen && indexedDB.cmp(lower, upper) === 0));
      const range = empty ? null : lower && upper ? IDBKeyRange.bound(lower, upper, lowerOpen, false) : lower ? IDBKeyRange.lowerBound(lower, lowerOpen) : upper ? IDBKeyRange.upperBound(upper) : undefined;
      rows = range === null ? [] : ((await store.getAll(range, opts.worker ? undefined : limit)) as StoredReceipt[]);
    }
    await tx.done;
    if (opts.requester) rows = rows.filter((r) => r.requester === opts.requester);
    if (opts.worker) rows = rows.filter((r) => r.worker === opts.worker);
    if (limit !== undefined && rows.length > limit) rows = rows.slice(0, limit);
    return rows;
  }

  async countReceipts(): Promise<number> {
    return (await this.#database()).count('receipts');
  }

  async writeReceipts<T>(items: ReadonlyArray<ReceiptWrite<T>>): Promise<ReceiptWriteOutcome<T>[]> {
    const db = await this.#database();
    const tx = db.transaction(['receipts', 'settled', 'escrow'], 'readwrite', { durability: this.#durability });
    const receipts = tx.objectStore('receipts');
    const settledStore = tx.objectStore('settled');
    const escrowStore = tx.objectStore('escrow');
    // Per requester, loaded once per call: its pairs (with settled) and escrow; kept current as we write.
    const cache = new Map<Address, { pairs: Map<PairKey, { receipt: StoredReceipt; settled: SettledPair }>; settled: Map<PairKey, SettledPair>; escrow: bigint }>();
    const outcomes: ReceiptWriteOutcome<T>[] = [];
    const done = tx.done;
    done.catch(() => undefined);
    try {
      for (const item of items) {
        let c = cache.get(item.requester);
        if (!c) {
          const [rows, settledRows, escrow] = await Promise.all([
            receipts.index('byRequester').getAll(item.requester) as Promise<StoredReceipt[]>,
            settledStore.getAll(pairRange(item.requester)) as Promise<SettledRecord[]>,
            escrowStore.get(item.requester) as Promise<EscrowRecord | undefined>,
          ]);
          const settled = new Map<PairKey, SettledPair>();
          for (const s of settledRows) settled.set(pairKey(s.requester, s.worker), { amount: s.amount, work: s.work });
          const pairs = new Map<PairKey, { receipt: StoredReceipt; settled: SettledPair }>();
          for (const r of rows) {
            const k = pairKey(r.requester, r.worker);
            pairs.set(k, { receipt: r, settled: settled.get(k) ?? ZERO });
          }
          c = { pairs, settled, escrow: escrow?.amount ?? 0n };
          cache.set(item.requester, c);
        }
        const key = pairKey(item.requester, item.worker);
        try {
          const requesterPairs = [...c.pairs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => ({ receipt: structuredClone(v.receipt), settled: v.settled }));
          const existing = c.pairs.get(key)?.receipt;
          const d = item.decide({ existing: existing && structuredClone(existing), settled: c.settled.get(key) ?? ZERO, escrow: c.escrow, requesterPairs });
          if (d.write) {
            const rec = structuredClone(d.write);
            void receipts.put(rec);
            c.pairs.set(key, { receipt: rec, settled: c.settled.get(key) ?? ZERO });
          }
          outcomes.push({ ok: true, value: d.value, written: !!d.write });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    } catch (e) {
      try {
        tx.abort();
      } catch {
        /* already finished */
      }
      throw e;
    }
    await done;
    return outcomes;
  }

  async putClaims(claims: ReadonlyArray<ClaimRecord>): Promise<PutClaimsResult> {
    const db = await this.#database();
    const tx = db.transaction(['claims', 'evidence'], 'readwrite', { durability: this.#durability });
    const cs = tx.objectStore('claims');
    const es = tx.objectStore('evidence');
    const res: PutClaimsResult = { stored: 0, duplicates: 0, evidence: [] };
    const batch = new Map<string, ClaimRecord>();
    for (const c of claims) {
      const key = [c.worker, c.jobId, c.unitIndex];
      const k = key.join(':');
      const prev = batch.get(k) ?? ((await cs.get(key)) as ClaimRecord | undefined);
      if (!prev) {
        const rec = structuredClone(c);
        void cs.put(rec);
        batch.set(k, rec);
        res.stored++;
      } else if (prev.outputHash === c.outputHash) {
        res.duplicates++;
      } else if (!(await es.get(key)) && !res.evidence.some((e) => e.worker === c.worker && e.jobId === c.jobId && e.unitIndex === c.unitIndex)) {
        const ev: EquivocationEvidence = { worker: c.worker, jobId: c.jobId, unitIndex: c.unitIndex, hashA: prev.outputHash, sigA: prev.signature, hashB: c.outputHash, sigB: c.signature };
        void es.put(ev);
        res.evidence.push(structuredClone(ev));
      }
    }
    await tx.done;
    return res;
  }

  async getClaims(jobId: string): Promise<ClaimRecord[]> {
    const rows = (await (await this.#database()).getAllFromIndex('claims', 'byJob', jobId)) as ClaimRecord[];
    return rows.sort((a, b) => a.unitIndex - b.unitIndex || (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0));
  }

  async putEvidence(evidence: ReadonlyArray<EquivocationEvidence>): Promise<number> {
    const db = await this.#database();
    const tx = db.transaction('evidence', 'readwrite', { durability: this.#durability });
    let n = 0;
    for (const e of evidence) {
      const key = [e.worker, e.jobId, e.unitIndex];
      if (await tx.store.get(key)) continue;
      void tx.store.put(structuredClone(e));
      n++;
    }
    await tx.done;
    return n;
  }

  async listEvidence(): Promise<EquivocationEvidence[]> {
    return (await (await this.#database()).getAll('evidence')) as EquivocationEvidence[];
  }

  async applyChainState(u: ChainStateUpdate): Promise<ChainApplyResult> {
    const db = await this.#database();
    const tx = db.transaction(['escrow', 'settled', 'batches', 'anchors', 'meta'], 'readwrite', { durability: this.#durability });
    const res: ChainApplyResult = { escrows: 0, settled: 0, batches: 0, anchors: 0 };
    const escrow = tx.objectStore('escrow');
    for (const e of u.escrows ?? []) {
      const prev = (await escrow.get(e.requester)) as EscrowRecord | undefined;
      if (prev && prev.blockNumber > u.blockNumber) continue;
      if (prev && prev.amount === e.amount && prev.blockNumber === u.blockNumber) continue;
      void escrow.put({ requester: e.requester, amount: e.amount, blockNumber: u.blockNumber } satisfies EscrowRecord);
      if (!prev || prev.amount !== e.amount) res.escrows++;
    }
    const settled = tx.objectStore('settled');
    for (const s of u.settled ?? []) {
      const prev = (await settled.get([s.requester, s.worker])) as SettledRecord | undefined;
      if (!settledIsNewer(s, prev)) continue;
      void settled.put({ requester: s.requester, worker: s.worker, amount: s.amount, work: s.work } satisfies SettledRecord);
      res.settled++;
    }
    const batches = tx.objectStore('batches');
    for (const x of u.batches ?? []) {
      const prev = (await batches.get([x.epoch, x.batchIndex])) as BatchRecord | undefined;
      if (prev && prev.root === x.root && (prev.leaves || !x.leaves) && (prev.txHash || !x.txHash)) continue;
      const rec: BatchRecord = { ...prev, ...x };
      const leaves = x.leaves ?? prev?.leaves;
      const txHash = x.txHash ?? prev?.txHash;
      if (leaves) rec.leaves = leaves;
      if (txHash) rec.txHash = txHash;
      void batches.put(structuredClone(rec));
      res.batches++;
    }
    const anchors = tx.objectStore('anchors');
    for (const a of u.anchors ?? []) {
      const prev = (await anchors.get(a.epoch)) as AnchorRecord | undefined;
      if (prev?.root === a.root) continue;
      void anchors.put({ epoch: a.epoch, root: a.root } satisfies AnchorRecord);
      res.anchors++;
    }
    const meta = tx.objectStore('meta');
    const block = ((await meta.get('blockNumber')) as bigint | undefined) ?? 0n;
    if (u.blockNumber > block) void meta.put(u.blockNumber, 'blockNumber');
    await tx.done;
    return res;
  }

  async getChainState(): Promise<ChainSnapshot> {
    const db = await this.#database();
    const tx = db.transaction(['escrow', 'settled', 'meta'], 'readonly');
    const [escrows, settled, block] = await Promise.all([tx.objectStore('escrow').getAll(), tx.objectStore('settled').getAll(), tx.objectStore('meta').get('blockNumber')]);
    await tx.done;
    return { blockNumber: (block as bigint | undefined) ?? 0n, escrows: escrows as EscrowRecord[], settled: settled as SettledRecord[] };
  }

  async listBatches(epoch?: number): Promise<BatchRecord[]> {
    const db = await this.#database();
    const range = epoch === undefined ? undefined : IDBKeyRange.bound([epoch, 0], [epoch, Number.MAX_SAFE_INTEGER]);
    return (await db.getAll('batches', range)) as BatchRecord[];
  }

  async listAnchors(): Promise<AnchorRecord[]> {
    return (await (await this.#database()).getAll('anchors')) as AnchorRecord[];
  }

  async putSettlements(records: ReadonlyArray<SettlementRecord>): Promise<void> {
    if (records.length === 0) return;
    const db = await this.#database();
    const tx = db.transaction('settlements', 'readwrite', { durability: this.#durability });
    for (const r of records) void tx.store.put(structuredClone(r));
    await tx.done;
  }

  async getSettlement(digest: Hex): Promise<SettlementRecord | undefined> {
    return (await (await this.#database()).get('settlements', digest)) as SettlementRecord | undefined;
  }

  async listSettlements(status?: SettlementStatus): Promise<SettlementRecord[]> {
    const db = await this.#database();
    return (status === undefined ? await db.getAll('settlements') : await db.getAllFromIndex('settlements', 'byStatus', status)) as SettlementRecord[];
  }
}
