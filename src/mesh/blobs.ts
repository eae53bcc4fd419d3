/**
 * Content-addressed blobs over `/tabmesh/blob/1.0.0`: a model file is fetched from any peer that
 * holds it, chunk by chunk ({@link BLOB_CHUNK_BYTES} each, one small request per chunk, a few
 * in flight), and the whole is checked against its sha-256 before anyone sees it.
 *
 * Why a request per chunk rather than one long stream: every message stays far below the
 * transport's read-buffer limit (WebRTC streams have no receive-side flow control), a lost
 * chunk is retried alone, and the window bounds memory on both sides.
 */
import { BlobHashMismatchError, BlobNotFoundError, MessageDecodeError } from './errors.ts';
import { toHex } from './codec.ts';
import { BLOB_CHUNK_BYTES, MAX_BLOB_BYTES, type MessageOf } from './messages.ts';

/** Where a serving tab finds blobs: returns the bytes for a sha-256 hex, or undefined. */
export type BlobSource = (hash: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface FetchBlobOptions {
  signal?: AbortSignal;
  /** Chunk requests in flight. Default 4. */
  window?: number;
  /** Refuse blobs larger than this. Default 1 GiB. */
  maxBytes?: number;
  /** Per-chunk timeout, ms. Default 30 000. */
  chunkTimeoutMs?: number;
  onProgress?: (received: number, total: number) => void;
}

/** sha-256 hex of `bytes` (WebCrypto: the same in the browser and in Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/** Answers one chunk request from `source`. */
export async function serveChunk(source: BlobSource, req: MessageOf<'blob-request'>): Promise<MessageOf<'blob-chunk'>> {
  const data = await source(req.hash);
  if (!data) return { hash: req.hash, index: req.index, found: false, size: 0, data: new Uint8Array(0) };
  const chunks = Math.max(1, Math.ceil(data.byteLength / BLOB_CHUNK_BYTES));
  if (req.index >= chunks) throw Object.assign(new Error(`chunk ${req.index} is past the last chunk ${chunks - 1}`), { name: 'ChunkIndexError' });
  const start = req.index * BLOB_CHUNK_BYTES;
  return { hash: req.hash, index: req.index, found: true, size: data.byteLength, data: data.subarray(start, Math.min(start + BLOB_CHUNK_BYTES, data.byteLength)) };
}

type ChunkRequester = (req: MessageOf<'blob-request'>, opts: { signal?: AbortSignal; timeoutMs: number }) => Promise<MessageOf<'blob-chunk'>>;

/**
 * Fetches and verifies a whole blob. A chunk that disagrees with the first one (size, hash,
 * index, length) throws MessageDecodeError naming the field; the caller penalizes the peer.
 */
export async function fetchBlobChunks(request: ChunkRequester, hash: string, opts: FetchBlobOptions = {}): Promise<Uint8Array> {
  const timeoutMs = opts.chunkTimeoutMs ?? 30_000;
  const maxBytes = Math.min(opts.maxBytes ?? MAX_BLOB_BYTES, MAX_BLOB_BYTES);
  const first = await request({ hash, index: 0 }, { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs });
  if (!first.found) throw new BlobNotFoundError(`peer does not hold blob ${hash}`);
  const size = first.size;
  if (size > maxBytes) throw new MessageDecodeError('blob-chunk.size', `is ${size} bytes, more than the ${maxBytes} allowed`);
  const chunks = Math.max(1, Math.ceil(size / BLOB_CHUNK_BYTES));
  const out = new Uint8Array(size);
  const check = (c: MessageOf<'blob-chunk'>, index: number): void => {
    if (c.hash !== hash) throw new MessageDecodeError('blob-chunk.hash', 'differs from the hash asked for');
    if (c.index !== index) throw new MessageDecodeError('blob-chunk.index', `is ${c.index}, asked for ${index}`);
    if (!c.found) throw new MessageDecodeError('blob-chunk.found', 'is false after the first chunk was found');
    if (c.size !== size) throw new MessageDecodeError('blob-chunk.size', `is ${c.size}, the first chunk said ${size}`);
    const want = Math.min(BLOB_CHUNK_BYTES, size - index * BLOB_CHUNK_BYTES);
    if (c.data.byteLength !== want) throw new MessageDecodeError('blob-chunk.data', `is ${c.data.byteLength} bytes, chunk ${index} must be ${want}`);
    out.set(c.data, index * BLOB_CHUNK_BYTES);
  };
  check(first, 0);
  let received = first.data.byteLength;
  opts.onProgress?.(received, size);
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next < chunks) {
      const index = next++;
      const c = await request({ hash, index }, { ...(opts.signal ? { signal: opts.signal } : {}), timeoutMs });
      check(c, index);
      received += c.data.byteLength;
      opts.onProgress?.(received, size);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.window ?? 4, 32)) }, worker));
  const got = await sha256Hex(out);
  if (got !== hash) throw new BlobHashMismatchError(`blob hashes to ${got}, expected ${hash}`);
  return out;
}
