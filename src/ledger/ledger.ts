/**
 * The local ledger: accepts receipts only when the contract would, keeps them (latest per pair)
 * in a `ReceiptStore`, issues receipts for the requester side, merges chain state, tracks
 * settlement and inclusion proofs, records worker claims and equivocation, and computes balances
 * as a pure function of what is stored.
 *
 * Writes are group-committed: receipts verified while a transaction is in flight are decided and
 * written together in the next one, each in arrival order; every `accept` resolves after its
 * transaction committed (a resolved accept is on disk).
 *
 * @example
 * const ledger = new Ledger({ store: new IdbReceiptStore(), domain: receiptDomain(31337n, settlement), identity });
 * await ledger.start();
 * await ledger.applyChainState({ blockNumber, escrows: [{ requester, amount }] });
 * const signed = await ledger.issue({ worker, amount: 5n * 10n ** 16n, work: 50n }); // requester side
 * await otherLedger.accept(signed);                                                  // anyone
 * (await ledger.balances()).workers[worker].pending;
 */
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import { recoverClaimSigner } from '../jobs/claim.ts';
import { assertAddress, assertHex, assertHex32, assertIndex, assertUint256 } from './assert.ts';
import { computeBalances, type Balances } from './balances.ts';
import { ClaimVerificationError, InvalidFieldError, LedgerError, LedgerNotStartedError, NoIdentityError, ProofError } from './errors.ts';
import { anchorProof, merkleRoot } from './merkle.ts';
import { receiptDigestBytes } from './receipt-digest.ts';
import { pairBucket, pairKey, parseDomain, type ReceiptDomain, type SignedReceipt } from './receipt.ts';
import { decideAccept, type AcceptResult } from './rules.ts';
import type {
  ChainApplyResult,
  ChainStateUpdate,
  ClaimRecord,
  EquivocationEvidence,
  ListReceiptsOptions,
  PutClaimsResult,
  ReceiptStore,
  ReceiptWrite,
  SettlementRecord,
  StoredReceipt,
} from './store.ts';
import { assertSignedByRequester, parseSignedReceipt, type PriceBounds } from './verify-receipt.ts';

/** Signs 32-byte digests as `address` (a `LocalIdentity`, or anything holding a key). */
export interface ReceiptSigner {
  readonly address: Address;
  signDigest(digest: Uint8Array): Uint8Array;
}

/** RULES.md defaults: 0.001 MESH .. 10 MESH per unit of work. */
export const DEFAULT_PRICE_BOUNDS: PriceBounds = { minPricePerWork: 10n ** 15n, maxPricePerWork: 10n * 10n ** 18n };

export interface LedgerOptions {
  store: ReceiptStore;
  /** The settlement contract's EIP-712 domain (chainId + verifyingContract; name/version fixed). */
  domain: Pick<ReceiptDomain, 'chainId' | 'verifyingContract'> & Partial<ReceiptDomain>;
  /** Price bounds per unit of work, as the contract's Params hold them. Default RULES.md defaults. */
  priceBounds?: PriceBounds;
  /** Needed for `issue()` only. */
  signer?: ReceiptSigner;
  /** Most receipts decided in one transaction. Default 512. */
  maxBatch?: number;
}

export type ReceiptInputLike = {
  requester: string;
  worker: string;
  cumulativeAmount: bigint;
  cumulativeWork: bigint;
  chainId?: bigint | number;
  verifyingContract?: string;
  signature?: Hex | Uint8Array;
};

export interface IssueParameters {
  worker: string;
  /** Wei added to the pair's cumulative amount. */
  amount: bigint;
  /** Work added to the pair's cumulative work. */
  work: bigint;
}

export type IssueReturnType = SignedReceipt & AcceptResult;

export interface LedgerEvents {
  /** A receipt was stored (status stored or settled); not fired for duplicates. */
  receipt: { receipt: StoredReceipt; result: AcceptResult };
  /** Chain state merged (counts of what changed). */
  chain: ChainApplyResult & { blockNumber: bigint };
  /** Balances may have changed (after receipts or chain state). */
  balances: void;
  /** New equivocation evidence stored. */
  evidence: EquivocationEvidence[];
  /** Settlement records changed. */
  settlement: SettlementRecord[];
}

type Listener<T> = (v: T) => void;

interface Pending {
  item: ReceiptWrite<AcceptResult>;
  record: StoredReceipt;
  resolve: (r: AcceptResult) => void;
  reject: (e: unknown) => void;
}

const VERIFIED_CACHE = 8192;

export class Ledger {
  readonly domain: ReceiptDomain;
  readonly priceBounds: PriceBounds;
  readonly #store: ReceiptStore;
  readonly #signer: ReceiptSigner | undefined;
  readonly #maxBatch: number;
  #started = false;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #listeners = new Map<keyof LedgerEvents, Set<Listener<never>>>();
  /** digest+signature of receipts already verified (duplicates from gossip and sync skip ecrecover). */
  #verified = new Set<string>();

  constructor(opts: LedgerOptions) {
    this.#store = opts.store;
    this.domain = parseDomain(opts.domain);
    this.priceBounds = opts.priceBounds ?? DEFAULT_PRICE_BOUNDS;
    this.#signer = opts.signer;
    this.#maxBatch = opts.maxBatch ?? 512;
  }

  get store(): ReceiptStore {
    return this.#store;
  }

  get started(): boolean {
    return this.#started;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    await this.#store.open();
    this.#started = true;
    await this.#deriveSettlements();
  }

  /** Waits for writes in flight, then closes the store. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    while (this.#flushing) await this.#flushing;
    this.#started = false;
    await this.#store.close();
  }

  on<K extends keyof LedgerEvents>(event: K, listener: Listener<LedgerEvents[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  #emit<K extends keyof LedgerEvents>(event: K, value: LedgerEvents[K]): void {
    for (const l of this.#listeners.get(event) ?? []) {
      try {
        (l as Listener<LedgerEvents[K]>)(value);
      } catch (e) {
        console.error(`ledger: ${event} listener threw`, e);
      }
    }
  }

  #assertStarted(): void {
    if (!this.#started) throw new LedgerNotStartedError('', 'the ledger is not started (call start())');
  }

  /**
   * Checks a receipt fully (fields, domain, signature) without state: the stored record, or throws.
   * What gossip validators call before forwarding.
   */
  verify(input: ReceiptInputLike): StoredReceipt {
    const sig = input.signature instanceof Uint8Array ? bytesToHex(input.signature) : input.signature;
    const r = parseSignedReceipt({ ...input, signature: sig }, this.domain);
    const digest = receiptDigestBytes(r, this.domain);
    const digestHex = bytesToHex(digest);
    const cacheKey = digestHex + r.signature;
    if (!this.#verified.has(cacheKey)) {
      assertSignedByRequester(r, digest);
      if (this.#verified.size >= VERIFIED_CACHE) this.#verified.clear();
      this.#verified.add(cacheKey);
    }
    return { ...r, digest: digestHex, bucket: pairBucket(r.requester, r.worker) };
  }

  /**
   * Accepts a receipt (signature inside `receipt.signature`, or given separately). Resolves once
   * it is stored (`stored`/`settled`) or known (`duplicate`); rejects with a named `LedgerError`
   * for anything the contract would refuse, and then nothing changed.
   */
  accept(receipt: ReceiptInputLike, signature?: Hex | Uint8Array): Promise<AcceptResult> {
    try {
      this.#assertStarted();
      const record = this.verify(signature === undefined ? receipt : { ...receipt, signature });
      return this.#enqueue(record);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Accepts many (a sync page): results in order, each an AcceptResult or the error that refused it. */
  async acceptMany(receipts: ReadonlyArray<ReceiptInputLike>): Promise<Array<AcceptResult | LedgerError>> {
    this.#assertStarted();
    const out = await Promise.allSettled(receipts.map((r) => this.accept(r)));
    return out.map((o) => {
      if (o.status === 'fulfilled') return o.value;
      if (o.reason instanceof LedgerError) return o.reason;
      throw o.reason;
    });
  }

  #enqueue(record: StoredReceipt): Promise<AcceptResult> {
    return new Promise<AcceptResult>((resolve, reject) => {
      const priceBounds = this.priceBounds;
      this.#queue.push({ record, resolve, reject, item: { requester: record.requester, worker: record.worker, decide: (ctx) => decideAccept(record, ctx, priceBounds) } });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = (async () => {
      // Let the current synchronous burst of accepts queue up before the first transaction.
      await Promise.resolve();
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        let outcomes;
        try {
          outcomes = await this.#store.writeReceipts(batch.map((p) => p.item));
        } catch (e) {
          for (const p of batch) p.reject(e);
          continue;
        }
        let changed = false;
        outcomes.forEach((o, i) => {
          const p = batch[i]!;
          if (o.ok) {
            p.resolve(o.value);
            if (o.written) {
              changed = true;
              this.#emit('receipt', { receipt: p.record, result: o.value });
            }
          } else p.reject(o.error);
        });
        if (changed) this.#emit('balances', undefined);
      }
    })().finally(() => {
      this.#flushing = null;
      if (this.#queue.length) this.#kick();
    });
  }

  /**
   * Requester side: adds `amount`/`work` to the pair's latest cumulative receipt (or to what is
   * settled, if higher), signs the new cumulative receipt once, and stores it under the same
   * rules as `accept` (escrow, price bounds) in one transaction, so concurrent issues for one
   * pair never sign the same cumulative twice. Returns the signed receipt to send to the worker.
   */
  async issue(p: IssueParameters): Promise<IssueReturnType> {
    this.#assertStarted();
    const signer = this.#signer;
    if (!signer) throw new NoIdentityError('signer', 'this ledger has no signing identity: pass `signer` to issue receipts');
    const worker = assertAddress(p.worker, 'issue.worker');
    const amount = assertUint256(p.amount, 'issue.amount');
    const work = assertUint256(p.work, 'issue.work');
    if (amount === 0n) throw new InvalidFieldError('issue.amount', 'must be above zero');
    const requester = signer.address.toLowerCase() as Address;
    const domain = this.domain;
    const priceBounds = this.priceBounds;
    let signed: StoredReceipt | undefined;
    const [outcome] = await this.#store.writeReceipts<AcceptResult>([
      {
        requester,
        worker,
        decide: (ctx) => {
          const baseAmount = ctx.existing && ctx.existing.cumulativeAmount > ctx.settled.amount ? ctx.existing.cumulativeAmount : ctx.settled.amount;
          const baseWork = ctx.existing && ctx.existing.cumulativeWork > ctx.settled.work ? ctx.existing.cumulativeWork : ctx.settled.work;
          const r = { requester, worker, cumulativeAmount: assertUint256(baseAmount + amount, 'issue.amount'), cumulativeWork: assertUint256(baseWork + work, 'issue.work') };
          const digest = receiptDigestBytes(r, domain);
          const rec: StoredReceipt = {
            ...r,
            chainId: domain.chainId,
            verifyingContract: domain.verifyingContract,
            signature: '0x',
            digest: bytesToHex(digest),
            bucket: pairBucket(requester, worker),
          };
          // Decide before signing: a refused receipt is never signed. The decision does not depend on
          // the signature, and its `write` is `rec` itself, so it is returned as is once signed.
          const decision = decideAccept(rec, ctx, priceBounds);
          rec.signature = bytesToHex(signer.signDigest(digest));
          signed = rec;
          return decision;
        },
      },
    ]);
    if (!outcome!.ok) throw outcome!.error;
    const rec = signed!;
    this.#emit('receipt', { receipt: rec, result: outcome!.value });
    this.#emit('balances', undefined);
    const { digest: _d, bucket: _b, ...receipt } = rec;
    return { ...receipt, ...outcome!.value };
  }

  async receipt(requester: string, worker: string): Promise<StoredReceipt | undefined> {
    this.#assertStarted();
    return this.#store.getReceipt(assertAddress(requester, 'requester'), assertAddress(worker, 'worker'));
  }

  async receipts(opts?: ListReceiptsOptions): Promise<StoredReceipt[]> {
    this.#assertStarted();
    return this.#store.listReceipts(opts);
  }

  /** Pending / settled / owed, from the stored receipts and chain state only. */
  async balances(): Promise<Balances> {
    this.#assertStarted();
    const [receipts, chain] = await Promise.all([this.#store.listReceipts(), this.#store.getChainState()]);
    return computeBalances(receipts, chain);
  }

  /**
   * Merges chain state read from the contract (escrow per requester, settled per pair, settled
   * batches with their roots and, when known, leaves; anchored epoch roots). Idempotent; values
   * from an older block never replace newer ones. Then refreshes settlement records and proofs.
   */
  async applyChainState(update: ChainStateUpdate): Promise<ChainApplyResult> {
    this.#assertStarted();
    const u = parseChainUpdate(update);
    const res = await this.#store.applyChainState(u);
    this.#emit('chain', { ...res, blockNumber: u.blockNumber });
    if (res.escrows || res.settled) this.#emit('balances', undefined);
    if (res.batches || res.anchors) await this.#deriveSettlements();
    return res;
  }

  /** Receipts with something to settle (cumulative above settled), not already in a submitted batch. Sorted by pair. */
  async settleable(opts: { limit?: number; requester?: Address } = {}): Promise<StoredReceipt[]> {
    this.#assertStarted();
    const [receipts, chain, submitted] = await Promise.all([
      this.#store.listReceipts(opts.requester ? { requester: opts.requester } : {}),
      this.#store.getChainState(),
      this.#store.listSettlements('submitted'),
    ]);
    const settled = new Map(chain.settled.map((s) => [pairKey(s.requester, s.worker), s.amount]));
    const inFlight = new Set(submitted.map((s) => s.digest));
    const out = receipts.filter((r) => r.cumulativeAmount > (settled.get(pairKey(r.requester, r.worker)) ?? 0n) && !inFlight.has(r.digest));
    return opts.limit === undefined ? out : out.slice(0, opts.limit);
  }

  /** The settlement engine sent these receipts in transaction `txHash`. */
  async markSubmitted(txHash: Hex, receipts: ReadonlyArray<StoredReceipt>): Promise<void> {
    this.#assertStarted();
    assertHex(txHash, 'txHash');
    const now = Date.now();
    const recs = receipts.map<SettlementRecord>((r) => ({ digest: r.digest, requester: r.requester, worker: r.worker, cumulativeAmount: r.cumulativeAmount, status: 'submitted', txHash, updatedAt: now }));
    await this.#store.putSettlements(recs);
    this.#emit('settlement', recs);
  }

  /** The transaction failed or was dropped: its receipts become settleable again. */
  async markFailed(txHash: Hex): Promise<void> {
    this.#assertStarted();
    const recs = (await this.#store.listSettlements('submitted')).filter((r) => r.txHash === txHash).map((r) => ({ ...r, status: 'failed' as const, updatedAt: Date.now() }));
    await this.#store.putSettlements(recs);
    if (recs.length) this.#emit('settlement', recs);
  }

  async settlement(digest: Hex): Promise<SettlementRecord | undefined> {
    this.#assertStarted();
    return this.#store.getSettlement(assertHex(digest, 'digest'));
  }

  async settlements(): Promise<SettlementRecord[]> {
    this.#assertStarted();
    return this.#store.listSettlements();
  }

  /** Inclusion proof of a settled receipt against its epoch's anchored root, once anchored. */
  async inclusionProof(digest: Hex): Promise<{ leaf: Hex; epoch: number; epochRoot: Hex; proof: Hex[] } | undefined> {
    const s = await this.settlement(digest);
    if (!s || s.status !== 'anchored' || !s.proof || !s.epochRoot || s.epoch === undefined) return undefined;
    return { leaf: s.digest, epoch: s.epoch, epochRoot: s.epochRoot, proof: s.proof };
  }

  /** Settlement records from batches (leaf positions) and anchors (proofs). Idempotent. */
  async #deriveSettlements(): Promise<void> {
    const [batches, anchors, existing] = await Promise.all([this.#store.listBatches(), this.#store.listAnchors(), this.#store.listSettlements()]);
    const byDigest = new Map(existing.map((s) => [s.digest, s]));
    const anchorOf = new Map(anchors.map((a) => [a.epoch, a.root]));
    const epochs = new Map<number, typeof batches>();
    for (const b of batches) {
      let l = epochs.get(b.epoch);
      if (!l) epochs.set(b.epoch, (l = []));
      l.push(b);
    }
    const changed: SettlementRecord[] = [];
    const now = Date.now();
    for (const [epoch, list] of epochs) {
      list.sort((a, b) => a.batchIndex - b.batchIndex);
      const anchored = anchorOf.get(epoch);
      const roots = list.map((b) => b.root);
      const complete = list.every((b, i) => b.batchIndex === i) && anchored !== undefined && merkleRoot(roots) === anchored;
      for (const b of list) {
        if (!b.leaves || merkleRoot(b.leaves) !== b.root) continue;
        b.leaves.forEach((leaf, leafIndex) => {
          const prev = byDigest.get(leaf);
          let next: SettlementRecord = { ...(prev ?? { digest: leaf }), status: 'settled', epoch, batchIndex: b.batchIndex, leafIndex, updatedAt: now } as SettlementRecord;
          if (b.txHash) next.txHash = b.txHash;
          if (complete) {
            try {
              next = { ...next, status: 'anchored', proof: anchorProof(b.leaves!, leafIndex, roots, b.batchIndex), epochRoot: anchored };
            } catch (e) {
              if (!(e instanceof ProofError)) throw e;
            }
          }
          if (!prev || prev.status !== next.status || prev.epoch !== next.epoch || prev.batchIndex !== next.batchIndex || prev.leafIndex !== next.leafIndex) changed.push(next);
        });
      }
    }
    if (changed.length) {
      await this.#store.putSettlements(changed);
      this.#emit('settlement', changed);
    }
  }

  /**
   * Worker claims (src/jobs/claim.ts), verified then stored in one transaction. A second claim by
   * the same worker for the same unit with another output hash is stored as equivocation evidence.
   */
  async recordClaims(claims: ReadonlyArray<ClaimRecord>): Promise<PutClaimsResult> {
    this.#assertStarted();
    const parsed = claims.map((c, i) => parseClaim(c, `claims[${i}]`));
    const res = await this.#store.putClaims(parsed);
    if (res.evidence.length) this.#emit('evidence', res.evidence);
    return res;
  }

  async claims(jobId: string): Promise<ClaimRecord[]> {
    this.#assertStarted();
    return this.#store.getClaims(jobId);
  }

  /** Evidence from elsewhere (gossip): both claims must verify for the same worker and differ. */
  async recordEvidence(evidence: ReadonlyArray<EquivocationEvidence>): Promise<number> {
    this.#assertStarted();
    const parsed = evidence.map((e, i) => {
      const a = parseClaim({ worker: e.worker, jobId: e.jobId, unitIndex: e.unitIndex, outputHash: e.hashA, signature: e.sigA }, `evidence[${i}].a`);
      const b = parseClaim({ worker: e.worker, jobId: e.jobId, unitIndex: e.unitIndex, outputHash: e.hashB, signature: e.sigB }, `evidence[${i}].b`);
      if (a.outputHash === b.outputHash) throw new InvalidFieldError(`evidence[${i}].hashB`, 'equals hashA: no equivocation');
      return { worker: a.worker, jobId: a.jobId, unitIndex: a.unitIndex, hashA: a.outputHash, sigA: a.signature, hashB: b.outputHash, sigB: b.signature };
    });
    const n = await this.#store.putEvidence(parsed);
    if (n) this.#emit('evidence', parsed);
    return n;
  }

  async evidence(): Promise<EquivocationEvidence[]> {
    this.#assertStarted();
    return this.#store.listEvidence();
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

function parseClaim(c: ClaimRecord, field: string): ClaimRecord {
  if (typeof c !== 'object' || c === null) throw new InvalidFieldError(field, 'must be an object');
  const worker = assertAddress(c.worker, `${field}.worker`);
  if (typeof c.jobId !== 'string' || !HEX64.test(c.jobId)) throw new InvalidFieldError(`${field}.jobId`, 'must be 64 lowercase hex digits');
  if (typeof c.outputHash !== 'string' || !HEX64.test(c.outputHash)) throw new InvalidFieldError(`${field}.outputHash`, 'must be 64 lowercase hex digits');
  const unitIndex = assertIndex(c.unitIndex, `${field}.unitIndex`, 0xffffffff);
  const signature = assertHex(c.signature, `${field}.signature`);
  let signer: string;
  try {
    signer = recoverClaimSigner({ jobId: c.jobId, unitIndex, outputHash: c.outputHash }, hexToBytes(signature));
  } catch (e) {
    throw new ClaimVerificationError(`${field}.signature`, (e as Error).message);
  }
  if (signer !== worker) throw new ClaimVerificationError(`${field}.signature`, `recovers ${signer}, not the worker ${worker}`);
  return { worker, jobId: c.jobId, unitIndex, outputHash: c.outputHash, signature };
}

function parseChainUpdate(u: ChainStateUpdate): ChainStateUpdate {
  if (typeof u !== 'object' || u === null) throw new InvalidFieldError('chain', 'must be an object');
  const blockNumber = assertUint256(u.blockNumber, 'chain.blockNumber');
  const out: ChainStateUpdate = { blockNumber };
  if (u.escrows) out.escrows = u.escrows.map((e, i) => ({ requester: assertAddress(e.requester, `chain.escrows[${i}].requester`), amount: assertUint256(e.amount, `chain.escrows[${i}].amount`) }));
  if (u.settled)
    out.settled = u.settled.map((s, i) => ({
      requester: assertAddress(s.requester, `chain.settled[${i}].requester`),
      worker: assertAddress(s.worker, `chain.settled[${i}].worker`),
      amount: assertUint256(s.amount, `chain.settled[${i}].amount`),
      work: assertUint256(s.work, `chain.settled[${i}].work`),
    }));
  if (u.batches)
    out.batches = u.batches.map((b, i) => {
      const rec: NonNullable<ChainStateUpdate['batches']>[number] = {
        epoch: assertIndex(b.epoch, `chain.batches[${i}].epoch`),
        batchIndex: assertIndex(b.batchIndex, `chain.batches[${i}].batchIndex`),
        root: assertHex32(b.root, `chain.batches[${i}].root`),
      };
      if (b.txHash) rec.txHash = assertHex(b.txHash, `chain.batches[${i}].txHash`);
      if (b.leaves) rec.leaves = b.leaves.map((l, j) => assertHex32(l, `chain.batches[${i}].leaves[${j}]`));
      return rec;
    });
  if (u.anchors) out.anchors = u.anchors.map((a, i) => ({ epoch: assertIndex(a.epoch, `chain.anchors[${i}].epoch`), root: assertHex32(a.root, `chain.anchors[${i}].root`) }));
  return out;
}
