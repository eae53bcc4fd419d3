/**
 * `ReceiptStore`: where a ledger keeps what it must not lose. Two implementations pass one
 * compliance suite (`store.compliance.ts`): `IdbReceiptStore` (IndexedDB via idb, the tab's) and
 * `MemoryReceiptStore` (tests, and tabs without IndexedDB).
 *
 * What is kept (one object store each in IndexedDB):
 * - `receipts`: the latest receipt per (requester, worker) pair (superseded ones are dropped:
 *   the latest one pays everything they paid).
 * - `claims`: worker claims (worker, jobId, unit) → outputHash + signature; `evidence`: pairs of
 *   conflicting claims (equivocation), found when a claim is written.
 * - chain state seen: `escrow` per requester, `settled` per pair, `batches` (epoch, index → root,
 *   leaves), `anchors` (epoch → root), `meta` (last block).
 * - `settlements`: per receipt digest, which tx / epoch / batch / leaf it settled in, and its proof.
 *
 * Atomicity: `writeReceipts` runs every decision and write of one call in one transaction over
 * the receipt and chain stores, so a decision ("is this within escrow minus the requester's other
 * pending deltas?") sees exactly the state it writes over, even with two ledgers on one database.
 * A call resolves only after its transaction has committed (for IndexedDB: `complete`, with
 * `durability: 'strict'`), so an acknowledged receipt is on disk.
 */
import type { Address, Hex } from 'viem';
import type { PairKey, SignedReceipt } from './receipt.ts';
import type { SettledPair } from './verify-receipt.ts';

/** A stored receipt: the signed receipt, its digest, and its sync bucket. */
export interface StoredReceipt extends SignedReceipt {
  digest: Hex;
  /** Sync bucket, 0..255 (first byte of keccak256(requester ‖ worker)). */
  bucket: number;
}

/** What a decision sees for one pair, inside the transaction. */
export interface ReceiptTxContext {
  /** The pair's latest stored receipt, including writes made earlier in the same call. */
  existing: StoredReceipt | undefined;
  /** Settled on-chain for the pair (zero when never settled). */
  settled: SettledPair;
  /** The requester's escrow on-chain (zero when unknown). */
  escrow: bigint;
  /** Every stored receipt of the same requester (this pair included if stored), each with its settled. */
  requesterPairs: ReadonlyArray<{ receipt: StoredReceipt; settled: SettledPair }>;
}

/** One receipt write: `decide` runs inside the transaction, synchronously. */
export interface ReceiptWrite<T> {
  requester: Address;
  worker: Address;
  /** Return `write` to store it as the pair's latest; throw to refuse (nothing is written for it). */
  decide(ctx: ReceiptTxContext): { write?: StoredReceipt; value: T };
}

export type ReceiptWriteOutcome<T> = { ok: true; value: T; written: boolean } | { ok: false; error: unknown };

export interface ListReceiptsOptions {
  requester?: Address;
  worker?: Address;
  bucket?: number;
  /** Only pairs whose key sorts after this one (exclusive). */
  after?: PairKey;
  /** Only pairs whose key sorts at or before this one (inclusive). */
  through?: PairKey;
  limit?: number;
}

/** A worker's signed claim for one unit (src/jobs/claim.ts). */
export interface ClaimRecord {
  worker: Address;
  /** 64 lowercase hex, no 0x (as src/jobs uses). */
  jobId: string;
  unitIndex: number;
  /** 64 lowercase hex, no 0x. */
  outputHash: string;
  /** 65 bytes r ‖ s ‖ v, 0x-hex. */
  signature: Hex;
}

/** Two claims of one worker for one unit with different outputs: slashable (RULES.md). */
export interface EquivocationEvidence {
  worker: Address;
  jobId: string;
  unitIndex: number;
  hashA: string;
  sigA: Hex;
  hashB: string;
  sigB: Hex;
}

export interface PutClaimsResult {
  stored: number;
  duplicates: number;
  /** New evidence found by this call (also stored). */
  evidence: EquivocationEvidence[];
}

export interface EscrowRecord {
  requester: Address;
  amount: bigint;
  /** Block the value was read at; a value from an older block never replaces a newer one. */
  blockNumber: bigint;
}

export interface SettledRecord extends SettledPair {
  requester: Address;
  worker: Address;
}

/** One settled batch: its root as the contract computed it, and (when known) its leaves in order. */
export interface BatchRecord {
  epoch: number;
  batchIndex: number;
  root: Hex;
  txHash?: Hex;
  leaves?: Hex[];
}

export interface AnchorRecord {
  epoch: number;
  root: Hex;
}

/** Chain facts to merge (all optional). */
export interface ChainStateUpdate {
  /** Block these values were read at. */
  blockNumber: bigint;
  /** Requester escrow available for settlement (after withdrawals requested, if the integrator subtracts them). */
  escrows?: Array<{ requester: Address; amount: bigint }>;
  /** `settledAmount` / `settledWork` per pair. Monotonic on-chain: a lower value is ignored. */
  settled?: SettledRecord[];
  batches?: BatchRecord[];
  anchors?: AnchorRecord[];
}

export interface ChainApplyResult {
  escrows: number;
  settled: number;
  batches: number;
  anchors: number;
}

export interface ChainSnapshot {
  blockNumber: bigint;
  escrows: EscrowRecord[];
  settled: SettledRecord[];
}

export type SettlementStatus = 'submitted' | 'settled' | 'anchored' | 'failed';

export interface SettlementRecord {
  digest: Hex;
  requester: Address;
  worker: Address;
  cumulativeAmount: bigint;
  status: SettlementStatus;
  txHash?: Hex;
  epoch?: number;
  batchIndex?: number;
  leafIndex?: number;
  /** Inclusion proof against the epoch root, once anchored. */
  proof?: Hex[];
  epochRoot?: Hex;
  updatedAt: number;
}

export interface ReceiptStore {
  /** Opens (and creates or upgrades) the store. Idempotent. */
  open(): Promise<void>;
  close(): Promise<void>;

  getReceipt(requester: Address, worker: Address): Promise<StoredReceipt | undefined>;
  /** Sorted by pair key. */
  listReceipts(opts?: ListReceiptsOptions): Promise<StoredReceipt[]>;
  countReceipts(): Promise<number>;
  /** Atomic: one transaction; items decided in order, each seeing earlier writes of the call. */
  writeReceipts<T>(items: ReadonlyArray<ReceiptWrite<T>>): Promise<ReceiptWriteOutcome<T>[]>;

  /** Atomic batch per call; equivocation is detected against stored claims and earlier ones in the batch. */
  putClaims(claims: ReadonlyArray<ClaimRecord>): Promise<PutClaimsResult>;
  getClaims(jobId: string): Promise<ClaimRecord[]>;
  /** Stores evidence (already verified by the caller); returns how many were new. */
  putEvidence(evidence: ReadonlyArray<EquivocationEvidence>): Promise<number>;
  listEvidence(): Promise<EquivocationEvidence[]>;

  applyChainState(update: ChainStateUpdate): Promise<ChainApplyResult>;
  getChainState(): Promise<ChainSnapshot>;
  listBatches(epoch?: number): Promise<BatchRecord[]>;
  listAnchors(): Promise<AnchorRecord[]>;

  putSettlements(records: ReadonlyArray<SettlementRecord>): Promise<void>;
  getSettlement(digest: Hex): Promise<SettlementRecord | undefined>;
  listSettlements(status?: SettlementStatus): Promise<SettlementRecord[]>;
}

/** Keys and merge rules shared by both implementations. */
export const claimKey = (c: { worker: string; jobId: string; unitIndex: number }): string => `${c.worker}:${c.jobId}:${c.unitIndex}`;

export function pairKeyInRange(key: string, opts: ListReceiptsOptions): boolean {
  if (opts.after !== undefined && key <= opts.after) return false;
  if (opts.through !== undefined && key > opts.through) return false;
  return true;
}

/** Whether a settled value from the chain replaces the stored one (both grow on-chain). */
export function settledIsNewer(next: SettledPair, prev: SettledPair | undefined): boolean {
  if (!prev) return true;
  return next.amount > prev.amount || (next.amount === prev.amount && next.work > prev.work);
}
