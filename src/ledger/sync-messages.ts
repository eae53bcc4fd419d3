/**
 * Wire messages of receipt replication. Every message is `[tag: u8][body]`, body fields in the
 * order below, big-endian, no padding (codec.ts). Sizes are fixed or bounded so a transport can
 * refuse an oversized frame before reading it.
 *
 * | tag | message | body | max bytes (tag incl.) |
 * |---|---|---|---|
 * | 1 | `receipt` (gossip, and inside pull responses without the tag) | chainId u64, verifyingContract address, requester address, worker address, cumulativeAmount u256, cumulativeWork u256, signature 65 bytes | 198 |
 * | 2 | `summary-request` | (empty) | 1 |
 * | 3 | `summary` | chainId u64, verifyingContract address, total u32, 256 × (count u32, hash 32 bytes) | 9 249 |
 * | 4 | `pull-request` | bucket u8, flags u8 (1 = after, 2 = through), [after 40 bytes], [through 40 bytes], limit u16 [1, 256], count u16 ≤ 1024, count × (pair 40 bytes, cumulativeAmount u256), strictly increasing pairs | 73 815 |
 * | 5 | `pull-response` | flags u8 (1 = more), [next 40 bytes], count u16 ≤ 256, count × receipt body (197) | 50 476 |
 *
 * A pair on the wire is `requester (20) ‖ worker (20)`; pairs sort as those 40 bytes (the same order
 * as the ledger's `requester:worker` keys). A bucket's hash is
 * `keccak256(‖ over its pairs in order of pair ‖ digest)` (32 zero bytes when empty).
 *
 * @example
 * const bytes = encodeReceiptMessage(signed);   // 198 bytes, for the gossip topic
 * const r = decodeReceiptMessage(bytes);         // DecodeError naming the field on bad bytes
 */
import type { Address, Hex } from 'viem';
import { Reader, Writer } from './codec.ts';
import { DecodeError, EncodeError } from './errors.ts';
import type { PairKey, SignedReceipt } from './receipt.ts';

export const RECEIPT_TOPIC = 'tabmesh/receipts/1';
export const SYNC_PROTOCOL = '/tabmesh/ledger-sync/1.0.0';

export const TAG_RECEIPT = 1;
export const TAG_SUMMARY_REQUEST = 2;
export const TAG_SUMMARY = 3;
export const TAG_PULL_REQUEST = 4;
export const TAG_PULL_RESPONSE = 5;

export const BUCKETS = 256;
export const MAX_PAGE = 256;
export const MAX_HAVES = 1024;
export const RECEIPT_BODY_BYTES = 8 + 20 + 20 + 20 + 32 + 32 + 65;
export const RECEIPT_MESSAGE_BYTES = 1 + RECEIPT_BODY_BYTES;
export const SUMMARY_BYTES = 1 + 8 + 20 + 4 + BUCKETS * 36;
export const MAX_PULL_REQUEST_BYTES = 1 + 1 + 1 + 40 + 40 + 2 + 2 + MAX_HAVES * 72;
export const MAX_PULL_RESPONSE_BYTES = 1 + 1 + 40 + 2 + MAX_PAGE * RECEIPT_BODY_BYTES;
/** Largest request / response a sync transport must carry. */
export const MAX_SYNC_REQUEST_BYTES = MAX_PULL_REQUEST_BYTES;
export const MAX_SYNC_RESPONSE_BYTES = Math.max(SUMMARY_BYTES, MAX_PULL_RESPONSE_BYTES);

export interface SummaryMessage {
  chainId: bigint;
  verifyingContract: Address;
  total: number;
  buckets: Array<{ count: number; hash: Hex }>;
}

export interface PullRequestMessage {
  bucket: number;
  after?: PairKey;
  through?: PairKey;
  limit: number;
  haves: Array<{ pair: PairKey; cumulativeAmount: bigint }>;
}

export interface PullResponseMessage {
  next?: PairKey;
  receipts: SignedReceipt[];
}

export type SyncRequest = { type: 'summary-request' } | { type: 'pull-request'; msg: PullRequestMessage };
export type SyncResponse = { type: 'summary'; msg: SummaryMessage } | { type: 'pull-response'; msg: PullResponseMessage };

function writePair(w: Writer, k: PairKey, field: string): void {
  if (typeof k !== 'string' || k.length !== 85 || k[42] !== ':') throw new EncodeError(field, 'must be a "requester:worker" pair key');
  w.address(k.slice(0, 42), `${field}.requester`);
  w.address(k.slice(43), `${field}.worker`);
}
function readPair(r: Reader, field: string): PairKey {
  return `${r.address(`${field}.requester`)}:${r.address(`${field}.worker`)}` as PairKey;
}

function writeReceiptBody(w: Writer, s: SignedReceipt, field: string): void {
  w.u64(s.chainId, `${field}.chainId`);
  w.address(s.verifyingContract, `${field}.verifyingContract`);
  w.address(s.requester, `${field}.requester`);
  w.address(s.worker, `${field}.worker`);
  w.u256(s.cumulativeAmount, `${field}.cumulativeAmount`);
  w.u256(s.cumulativeWork, `${field}.cumulativeWork`);
  w.hexFixed(s.signature, 65, `${field}.signature`);
}
function readReceiptBody(r: Reader, field: string): SignedReceipt {
  return {
    chainId: r.u64(`${field}.chainId`),
    verifyingContract: r.address(`${field}.verifyingContract`),
    requester: r.address(`${field}.requester`),
    worker: r.address(`${field}.worker`),
    cumulativeAmount: r.u256(`${field}.cumulativeAmount`),
    cumulativeWork: r.u256(`${field}.cumulativeWork`),
    signature: r.hex(65, `${field}.signature`),
  };
}

function checkBound(bytes: unknown, max: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(what, 'must be a Uint8Array');
  if (bytes.length === 0) throw new DecodeError(`${what}.tag`, 'empty message');
  if (bytes.length > max) throw new DecodeError(what, `${bytes.length} bytes is more than the limit of ${max}`);
  return bytes;
}

export function encodeReceiptMessage(s: SignedReceipt): Uint8Array {
  const w = new Writer(RECEIPT_MESSAGE_BYTES);
  w.u8(TAG_RECEIPT);
  writeReceiptBody(w, s, 'receipt');
  return w.finish();
}

export function decodeReceiptMessage(bytes: Uint8Array): SignedReceipt {
  checkBound(bytes, RECEIPT_MESSAGE_BYTES, 'receipt');
  const r = new Reader(bytes, 'receipt');
  r.u8('tag', TAG_RECEIPT, TAG_RECEIPT);
  const out = readReceiptBody(r, 'receipt');
  r.end();
  return out;
}

export function encodeSyncRequest(req: SyncRequest): Uint8Array {
  if (req.type === 'summary-request') return Uint8Array.of(TAG_SUMMARY_REQUEST);
  const m = req.msg;
  const w = new Writer(MAX_PULL_REQUEST_BYTES);
  w.u8(TAG_PULL_REQUEST);
  w.u8(m.bucket, 'pull.bucket');
  w.u8((m.after ? 1 : 0) | (m.through ? 2 : 0), 'pull.flags');
  if (m.after) writePair(w, m.after, 'pull.after');
  if (m.through) writePair(w, m.through, 'pull.through');
  if (!Number.isInteger(m.limit) || m.limit < 1 || m.limit > MAX_PAGE) throw new EncodeError('pull.limit', `must be in [1, ${MAX_PAGE}]`);
  w.u16(m.limit, 'pull.limit');
  if (m.haves.length > MAX_HAVES) throw new EncodeError('pull.haves', `at most ${MAX_HAVES}, got ${m.haves.length}`);
  w.u16(m.haves.length, 'pull.haves.count');
  let prev = '';
  m.haves.forEach((h, i) => {
    if (h.pair <= prev) throw new EncodeError(`pull.haves[${i}].pair`, 'pairs must be strictly increasing');
    prev = h.pair;
    writePair(w, h.pair, `pull.haves[${i}].pair`);
    w.u256(h.cumulativeAmount, `pull.haves[${i}].cumulativeAmount`);
  });
  return w.finish();
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  checkBound(bytes, MAX_SYNC_REQUEST_BYTES, 'sync');
  const r = new Reader(bytes, 'sync');
  const tag = r.u8('tag');
  if (tag === TAG_SUMMARY_REQUEST) {
    r.end();
    return { type: 'summary-request' };
  }
  if (tag !== TAG_PULL_REQUEST) throw new DecodeError('sync.tag', `${tag} is not a sync request (2 or 4)`);
  const bucket = r.u8('pull.bucket');
  const flags = r.flags('pull.flags', 3);
  const msg: PullRequestMessage = { bucket, limit: 0, haves: [] };
  if (flags & 1) msg.after = readPair(r, 'pull.after');
  if (flags & 2) msg.through = readPair(r, 'pull.through');
  if (msg.after && msg.through && msg.after >= msg.through) throw new DecodeError('sync.pull.through', 'must sort after `after`');
  msg.limit = r.u16('pull.limit', 1, MAX_PAGE);
  const count = r.u16('pull.haves.count', 0, MAX_HAVES);
  if (r.remaining !== count * 72) throw new DecodeError('sync.pull.haves', `${count} entries need ${count * 72} bytes, ${r.remaining} left`);
  let prev = '';
  for (let i = 0; i < count; i++) {
    const pair = readPair(r, `pull.haves[${i}].pair`);
    if (pair <= prev) throw new DecodeError(`sync.pull.haves[${i}].pair`, 'pairs must be strictly increasing');
    prev = pair;
    const cumulativeAmount = r.u256(`pull.haves[${i}].cumulativeAmount`);
    msg.haves.push({ pair, cumulativeAmount });
  }
  r.end();
  return { type: 'pull-request', msg };
}

export function encodeSyncResponse(res: SyncResponse): Uint8Array {
  if (res.type === 'summary') {
    const m = res.msg;
    const w = new Writer(SUMMARY_BYTES);
    w.u8(TAG_SUMMARY);
    w.u64(m.chainId, 'summary.chainId');
    w.address(m.verifyingContract, 'summary.verifyingContract');
    w.u32(m.total, 'summary.total');
    if (m.buckets.length !== BUCKETS) throw new EncodeError('summary.buckets', `must have ${BUCKETS} entries`);
    m.buckets.forEach((b, i) => {
      w.u32(b.count, `summary.buckets[${i}].count`);
      w.hexFixed(b.hash, 32, `summary.buckets[${i}].hash`);
    });
    return w.finish();
  }
  const m = res.msg;
  const w = new Writer(MAX_PULL_RESPONSE_BYTES);
  w.u8(TAG_PULL_RESPONSE);
  w.u8(m.next ? 1 : 0, 'pull-response.flags');
  if (m.next) writePair(w, m.next, 'pull-response.next');
  if (m.receipts.length > MAX_PAGE) throw new EncodeError('pull-response.receipts', `at most ${MAX_PAGE}`);
  w.u16(m.receipts.length, 'pull-response.count');
  m.receipts.forEach((s, i) => writeReceiptBody(w, s, `pull-response.receipts[${i}]`));
  return w.finish();
}

export function decodeSyncResponse(bytes: Uint8Array): SyncResponse {
  checkBound(bytes, MAX_SYNC_RESPONSE_BYTES, 'sync');
  const r = new Reader(bytes, 'sync');
  const tag = r.u8('tag');
  if (tag === TAG_SUMMARY) {
    if (bytes.length !== SUMMARY_BYTES) throw new DecodeError('sync.summary', `must be ${SUMMARY_BYTES} bytes, got ${bytes.length}`);
    const chainId = r.u64('summary.chainId');
    const verifyingContract = r.address('summary.verifyingContract');
    const total = r.u32('summary.total');
    const buckets: SummaryMessage['buckets'] = [];
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const count = r.u32(`summary.buckets[${i}].count`);
      sum += count;
      buckets.push({ count, hash: r.hex(32, `summary.buckets[${i}].hash`) });
    }
    if (sum !== total) throw new DecodeError('sync.summary.total', `is ${total} but the buckets hold ${sum}`);
    r.end();
    return { type: 'summary', msg: { chainId, verifyingContract, total, buckets } };
  }
  if (tag !== TAG_PULL_RESPONSE) throw new DecodeError('sync.tag', `${tag} is not a sync response (3 or 5)`);
  const flags = r.flags('pull-response.flags', 1);
  const msg: PullResponseMessage = { receipts: [] };
  if (flags & 1) msg.next = readPair(r, 'pull-response.next');
  const count = r.u16('pull-response.count', 0, MAX_PAGE);
  if (r.remaining !== count * RECEIPT_BODY_BYTES) throw new DecodeError('sync.pull-response.receipts', `${count} receipts need ${count * RECEIPT_BODY_BYTES} bytes, ${r.remaining} left`);
  for (let i = 0; i < count; i++) msg.receipts.push(readReceiptBody(r, `pull-response.receipts[${i}]`));
  r.end();
  return { type: 'pull-response', msg };
}

