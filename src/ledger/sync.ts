/**
 * Replication of receipts between ledgers, transport-agnostic:
 *
 * - **Gossip** (`ReceiptGossip`): a new receipt is published as one 198-byte `receipt` message on
 *   `RECEIPT_TOPIC`; a receiver decodes it strictly and hands it to `Ledger.accept`. Use
 *   `validate` as the gossip topic validator (reject → not forwarded).
 * - **Catch-up** (`SyncServer` / `SyncClient`) for a tab that joins late or was offline; it never
 *   replays gossip. The pair space is split into 256 buckets (first byte of
 *   keccak256(requester ‖ worker)); the client asks for the server's `summary` (count and hash per
 *   bucket, 9 KB), and for every bucket whose hash differs it sends `pull-request`s carrying its
 *   own (pair, cumulativeAmount) for a range of that bucket; the server answers only receipts
 *   that are newer than the client's (or that it lacks), at most `limit` (≤ 256) per page, with
 *   a cursor for the next page. Each page is accepted (verified and stored) before the next is
 *   asked for, so a tab reloaded mid-sync keeps every page it acknowledged and the next catch-up
 *   asks only for what is still missing.
 *
 * Wiring (the integrator registers the bytes on the mesh):
 * ```ts
 * const server = new SyncServer(ledger);
 * // request/response protocol SYNC_PROTOCOL, request ≤ MAX_SYNC_REQUEST_BYTES, response ≤ MAX_SYNC_RESPONSE_BYTES
 * handle(SYNC_PROTOCOL, (bytes) => server.handle(bytes));
 * const client = new SyncClient(ledger);
 * const report = await client.catchUp((bytes) => request(peer, SYNC_PROTOCOL, bytes));
 * const gossip = new ReceiptGossip(ledger, (bytes) => publish(RECEIPT_TOPIC, bytes));
 * subscribe(RECEIPT_TOPIC, (bytes, from) => gossip.receive(bytes));
 * await gossip.publish(await ledger.issue({ worker, amount, work }));
 * ```
 */
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { DecodeError, LedgerError } from './errors.ts';
import type { Ledger } from './ledger.ts';
import { pairBucket, pairKey, type PairKey, type SignedReceipt } from './receipt.ts';
import type { AcceptResult } from './rules.ts';
import type { StoredReceipt } from './store.ts';
import {
  BUCKETS,
  MAX_HAVES,
  MAX_PAGE,
  decodeReceiptMessage,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeReceiptMessage,
  encodeSyncRequest,
  encodeSyncResponse,
  type PullRequestMessage,
  type PullResponseMessage,
  type SummaryMessage,
} from './sync-messages.ts';

const ZERO_HASH = `0x${'00'.repeat(32)}` as Hex;

/** Count and hash per bucket of a receipt set (latest per pair). */
export function summarize(receipts: ReadonlyArray<StoredReceipt>): Array<{ count: number; hash: Hex }> {
  const parts: Uint8Array[][] = Array.from({ length: BUCKETS }, () => []);
  const sorted = [...receipts].sort((a, b) => cmpPair(pairKey(a.requester, a.worker), pairKey(b.requester, b.worker)));
  for (const r of sorted) {
    const entry = new Uint8Array(72);
    entry.set(hexToBytes(r.requester), 0);
    entry.set(hexToBytes(r.worker), 20);
    entry.set(hexToBytes(r.digest), 40);
    parts[r.bucket]!.push(entry);
  }
  return parts.map((list) => {
    if (list.length === 0) return { count: 0, hash: ZERO_HASH };
    const buf = new Uint8Array(list.length * 72);
    list.forEach((e, i) => buf.set(e, i * 72));
    return { count: list.length, hash: bytesToHex(keccak_256(buf)) };
  });
}

const cmpPair = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const strip = (r: StoredReceipt): SignedReceipt => ({ requester: r.requester, worker: r.worker, cumulativeAmount: r.cumulativeAmount, cumulativeWork: r.cumulativeWork, chainId: r.chainId, verifyingContract: r.verifyingContract, signature: r.signature });

export interface SyncServerOptions {
  /** Largest page served (≤ 256). Default 256. */
  maxPage?: number;
}

/** Answers sync requests from the ledger's store. */
export class SyncServer {
  readonly #ledger: Ledger;
  readonly #maxPage: number;
  #summary: Promise<SummaryMessage> | null = null;

  constructor(ledger: Ledger, opts: SyncServerOptions = {}) {
    this.#ledger = ledger;
    this.#maxPage = Math.min(opts.maxPage ?? MAX_PAGE, MAX_PAGE);
    ledger.on('receipt', () => {
      this.#summary = null;
    });
  }

  summary(): Promise<SummaryMessage> {
    this.#summary ??= this.#ledger.receipts().then((rs) => {
      const buckets = summarize(rs);
      return { chainId: this.#ledger.domain.chainId, verifyingContract: this.#ledger.domain.verifyingContract, total: rs.length, buckets };
    });
    const p = this.#summary;
    p.catch(() => {
      if (this.#summary === p) this.#summary = null;
    });
    return p;
  }

  /** Receipts in the bucket and range that are newer than the client's, one page. */
  async pull(m: PullRequestMessage): Promise<PullResponseMessage> {
    const opts: Parameters<Ledger['receipts']>[0] = { bucket: m.bucket };
    if (m.after) opts.after = m.after;
    if (m.through) opts.through = m.through;
    const rows = await this.#ledger.receipts(opts);
    const have = new Map(m.haves.map((h) => [h.pair, h.cumulativeAmount]));
    const limit = Math.min(m.limit, this.#maxPage);
    const out: SignedReceipt[] = [];
    let next: PairKey | undefined;
    for (const r of rows) {
      const k = pairKey(r.requester, r.worker);
      const h = have.get(k);
      if (h !== undefined && h >= r.cumulativeAmount) continue;
      if (out.length === limit) {
        next = pairKey(out[out.length - 1]!.requester, out[out.length - 1]!.worker);
        break;
      }
      out.push(strip(r));
    }
    return next ? { receipts: out, next } : { receipts: out };
  }

  /** Decodes a request and encodes the answer. Bad bytes: DecodeError (answer the peer with an error). */
  async handle(request: Uint8Array): Promise<Uint8Array> {
    const req = decodeSyncRequest(request);
    if (req.type === 'summary-request') return encodeSyncResponse({ type: 'summary', msg: await this.summary() });
    return encodeSyncResponse({ type: 'pull-response', msg: await this.pull(req.msg) });
  }
}

export interface SyncReport {
  /** Buckets whose hash differed. */
  buckets: number;
  pages: number;
  received: number;
  stored: number;
  duplicates: number;
  /** Receipts the ledger refused, by error name. */
  refused: Record<string, number>;
  /** Receipts outside the bucket or range asked for (a faulty server). */
  unexpected: number;
}

export interface SyncClientOptions {
  /** Receipts per page asked for (≤ 256). Default 256. */
  pageSize?: number;
  /** Own (pair, cumulative) entries per pull request (≤ 1024). Default 1024. */
  maxHaves?: number;
  /** Stop after this many pages in one catch-up. Default 100,000. */
  maxPages?: number;
  signal?: AbortSignal;
}

/** A transport: send request bytes to one peer, get its response bytes. */
export type SyncTransport = (request: Uint8Array) => Promise<Uint8Array>;

export class SyncClient {
  readonly #ledger: Ledger;
  readonly #opts: Required<Omit<SyncClientOptions, 'signal'>>;

  constructor(ledger: Ledger, opts: Omit<SyncClientOptions, 'signal'> = {}) {
    this.#ledger = ledger;
    this.#opts = {
      pageSize: Math.min(opts.pageSize ?? MAX_PAGE, MAX_PAGE),
      maxHaves: Math.min(opts.maxHaves ?? MAX_HAVES, MAX_HAVES),
      maxPages: opts.maxPages ?? 100_000,
    };
  }

  /**
   * Pulls from one peer everything it has that is newer than ours. Throws DecodeError when the
   * peer's bytes are malformed (what was accepted before stays accepted) and `LedgerError`s for
   * a summary of another domain.
   */
  async catchUp(send: SyncTransport, opts: { signal?: AbortSignal } = {}): Promise<SyncReport> {
    const report: SyncReport = { buckets: 0, pages: 0, received: 0, stored: 0, duplicates: 0, refused: {}, unexpected: 0 };
    const summaryRes = decodeSyncResponse(await send(encodeSyncRequest({ type: 'summary-request' })));
    if (summaryRes.type !== 'summary') throw new DecodeError('sync.tag', 'expected a summary');
    const theirs = summaryRes.msg;
    const d = this.#ledger.domain;
    if (theirs.chainId !== d.chainId || theirs.verifyingContract !== d.verifyingContract.toLowerCase())
      throw new DecodeError('sync.summary.chainId', `peer ledger is for chain ${theirs.chainId} / ${theirs.verifyingContract}, ours ${d.chainId} / ${d.verifyingContract}`);
    const mine = await this.#ledger.receipts();
    const ours = summarize(mine);
    const byBucket: StoredReceipt[][] = Array.from({ length: BUCKETS }, () => []);
    for (const r of mine) byBucket[r.bucket]!.push(r);
    for (let b = 0; b < BUCKETS; b++) {
      const t = theirs.buckets[b]!;
      if (t.count === 0 || t.hash === ours[b]!.hash) continue;
      report.buckets++;
      const entries = byBucket[b]!.map((r) => ({ pair: pairKey(r.requester, r.worker), cumulativeAmount: r.cumulativeAmount })).sort((x, y) => cmpPair(x.pair, y.pair));
      // Ranges (after, through]: each carries at most maxHaves of our entries; the last is open-ended.
      const ranges: Array<{ after?: PairKey; through?: PairKey }> = [];
      for (let i = 0; i < Math.max(1, Math.ceil(entries.length / this.#opts.maxHaves)); i++) {
        const lastIdx = (i + 1) * this.#opts.maxHaves - 1;
        const range: { after?: PairKey; through?: PairKey } = {};
        if (i > 0) range.after = entries[i * this.#opts.maxHaves - 1]!.pair;
        if (lastIdx < entries.length - 1) range.through = entries[lastIdx]!.pair;
        ranges.push(range);
      }
      for (const range of ranges) {
        let cursor = range.after;
        for (;;) {
          opts.signal?.throwIfAborted();
          if (report.pages >= this.#opts.maxPages) return report;
          const haves = entries.filter((e) => (cursor === undefined || e.pair > cursor) && (range.through === undefined || e.pair <= range.through));
          const msg: PullRequestMessage = { bucket: b, limit: this.#opts.pageSize, haves };
          if (cursor) msg.after = cursor;
          if (range.through) msg.through = range.through;
          const res = decodeSyncResponse(await send(encodeSyncRequest({ type: 'pull-request', msg })));
          if (res.type !== 'pull-response') throw new DecodeError('sync.tag', 'expected a pull response');
          report.pages++;
          const page = res.msg;
          if (page.receipts.length > this.#opts.pageSize) throw new DecodeError('sync.pull-response.count', `${page.receipts.length} is more than the ${this.#opts.pageSize} asked for`);
          const inRange = page.receipts.filter((r) => {
            const k = pairKey(r.requester, r.worker);
            const ok = pairBucket(r.requester, r.worker) === b && (cursor === undefined || k > cursor) && (range.through === undefined || k <= range.through);
            if (!ok) report.unexpected++;
            return ok;
          });
          report.received += page.receipts.length;
          const results = await this.#ledger.acceptMany(inRange);
          for (const x of results) {
            if (x instanceof LedgerError) report.refused[x.name] = (report.refused[x.name] ?? 0) + 1;
            else if (x.status === 'duplicate') report.duplicates++;
            else report.stored++;
          }
          if (!page.next) break;
          if ((cursor !== undefined && page.next <= cursor) || (range.through !== undefined && page.next > range.through))
            throw new DecodeError('sync.pull-response.next', 'cursor does not advance within the range asked for');
          cursor = page.next;
        }
      }
    }
    return report;
  }
}

/** Receipt gossip: publish new receipts, accept received ones. */
export class ReceiptGossip {
  readonly #ledger: Ledger;
  readonly #publish: (bytes: Uint8Array) => unknown;

  constructor(ledger: Ledger, publish: (bytes: Uint8Array) => unknown) {
    this.#ledger = ledger;
    this.#publish = publish;
  }

  async publish(receipt: SignedReceipt): Promise<void> {
    await this.#publish(encodeReceiptMessage(receipt));
  }

  /**
   * Topic validator: decodes and verifies (fields, domain, signature) without touching state.
   * Returns the receipt, or throws the named error (reject the message).
   */
  validate(bytes: Uint8Array): StoredReceipt {
    return this.#ledger.verify(decodeReceiptMessage(bytes));
  }

  /** A gossip message arrived: decode, then accept (store) it. Throws DecodeError / LedgerError. */
  receive(bytes: Uint8Array): Promise<AcceptResult> {
    let r: SignedReceipt;
    try {
      r = decodeReceiptMessage(bytes);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#ledger.accept(r);
  }
}
