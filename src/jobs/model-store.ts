/**
 * Models by content hash: the requester publishes the job's model (manifest + files) so workers
 * can fetch it from the mesh; a worker fetches it chunk by chunk from every peer that holds it,
 * checks every hash, and caches it (IndexedDB in the browser) so a reload does not fetch again.
 *
 * A model's id is the sha-256 of its manifest bytes; each file is addressed by the sha-256 the
 * manifest gives it. Nothing read from a peer or from the cache is used before its hash checks.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { fetchBlobChunks, sha256Hex } from '../mesh/blobs.ts';
import { MAX_BLOB_BYTES, type MessageOf } from '../mesh/messages.ts';
import { MAX_MANIFEST_BYTES } from '../models/load.ts';
import { parseManifest, type ModelManifest } from '../models/manifest.ts';
import { ModelFetchError } from './errors.ts';

/** Bytes by sha-256 hex. */
export interface BlobStore {
  get(hash: string): Promise<Uint8Array | undefined>;
  put(hash: string, bytes: Uint8Array): Promise<void>;
}

/** For node tests and tabs without IndexedDB. */
export class MemoryBlobStore implements BlobStore {
  readonly #m = new Map<string, Uint8Array>();
  async get(hash: string): Promise<Uint8Array | undefined> {
    return this.#m.get(hash);
  }
  async put(hash: string, bytes: Uint8Array): Promise<void> {
    this.#m.set(hash, bytes);
  }
}

/** IndexedDB (`tabmesh-blobs`, store `blobs`, key = sha-256 hex). */
export class IdbBlobStore implements BlobStore {
  #db: Promise<IDBPDatabase> | null = null;
  constructor(readonly dbName = 'tabmesh-blobs') {}
  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.dbName, 1, {
      upgrade(db) {
        db.createObjectStore('blobs');
      },
    });
    return this.#db;
  }
  async get(hash: string): Promise<Uint8Array | undefined> {
    const v: unknown = await (await this.#open()).get('blobs', hash);
    return v instanceof Uint8Array ? v : undefined;
  }
  async put(hash: string, bytes: Uint8Array): Promise<void> {
    await (await this.#open()).put('blobs', bytes, hash);
  }
}

/** A model in hand: manifest bytes and every file, verified. */
export interface ModelBundle {
  modelId: string;
  manifest: ModelManifest;
  manifestBytes: Uint8Array;
  /** By manifest path. */
  files: Record<string, Uint8Array>;
}

/** Asks one peer for one chunk (MeshNode.request(peer, 'blob', …)). */
export type PeerChunkRequest = (peer: string, req: MessageOf<'blob-request'>, opts: { signal?: AbortSignal; timeoutMs: number }) => Promise<MessageOf<'blob-chunk'>>;

export interface FetchModelOptions {
  signal?: AbortSignal;
  /** Chunk requests in flight per blob. Default 8. */
  window?: number;
}

function parseManifestBytes(bytes: Uint8Array, modelId: string): ModelManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new ModelFetchError(`model ${modelId.slice(0, 12)}: manifest is ${bytes.byteLength} bytes, more than ${MAX_MANIFEST_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelFetchError(`model ${modelId.slice(0, 12)}: manifest is not UTF-8 JSON (${(e as Error).message})`);
  }
  return parseManifest(json);
}

/**
 * @example
 * const models = new ModelStore(new IdbBlobStore());
 * const published = await models.publishFromUrl('/models/digits-cnn/manifest.json'); // requester
 * const bundle = await models.fetch(published.modelId, [requesterPeer], (p, r, o) => mesh.request(p, 'blob', r, o)); // worker
 */
export class ModelStore {
  readonly #store: BlobStore;
  /** Blobs this tab serves (published or fetched), kept in memory for fast serving. */
  readonly #serving = new Map<string, Uint8Array>();
  readonly #models = new Set<string>();
  readonly #inflight = new Map<string, Promise<ModelBundle>>();

  constructor(store: BlobStore = new MemoryBlobStore()) {
    this.#store = store;
  }

  /** Model ids this tab holds (for its capability advertisement). */
  modelIds(): string[] {
    return [...this.#models];
  }

  /** What `serveBlobs` answers with. */
  readonly serve = (hash: string): Uint8Array | undefined => this.#serving.get(hash);

  /** Requester: fetches a model over HTTP(S), verifies it, and serves it to the mesh. */
  async publishFromUrl(url: string, fetchFn: typeof fetch = fetch): Promise<ModelBundle> {
    const base = new URL(url, globalThis.location?.href);
    const get = async (u: URL, max: number, what: string): Promise<Uint8Array> => {
      let res: Response;
      try {
        res = await fetchFn(u);
      } catch (e) {
        throw new ModelFetchError(`${what}: GET ${u.href} failed (${(e as Error).message})`);
      }
      if (!res.ok) throw new ModelFetchError(`${what}: GET ${u.href} answered ${res.status}`);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > max) throw new ModelFetchError(`${what}: ${declared} bytes is more than ${max}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.byteLength > max) throw new ModelFetchError(`${what}: ${bytes.byteLength} bytes is more than ${max}`);
      return bytes;
    };
    const manifestBytes = await get(base, MAX_MANIFEST_BYTES, 'manifest');
    const modelId = await sha256Hex(manifestBytes);
    const manifest = parseManifestBytes(manifestBytes, modelId);
    const files: Record<string, Uint8Array> = {};
    for (const f of manifest.files) {
      const bytes = await get(new URL(f.path, base), f.bytes, `file ${f.path}`);
      if (bytes.byteLength !== f.bytes) throw new ModelFetchError(`file ${f.path}: ${bytes.byteLength} bytes, the manifest says ${f.bytes}`);
      const h = await sha256Hex(bytes);
      if (h !== f.sha256) throw new ModelFetchError(`file ${f.path}: sha-256 is ${h}, the manifest says ${f.sha256}`);
      files[f.path] = bytes;
    }
    const bundle = { modelId, manifest, manifestBytes, files };
    await this.#keep(bundle);
    return bundle;
  }

  /**
   * Worker: the model from the cache, or else from `holders`, spreading chunk requests over all
   * of them (a chunk that fails on one holder is asked of the next). Concurrent calls for one
   * model share one fetch.
   */
  fetch(modelId: string, holders: string[], request: PeerChunkRequest, opts: FetchModelOptions = {}): Promise<ModelBundle> {
    let p = this.#inflight.get(modelId);
    if (!p) {
      p = this.#fetch(modelId, holders, request, opts).finally(() => this.#inflight.delete(modelId));
      this.#inflight.set(modelId, p);
    }
    return p;
  }

  /** Last fetch's figures, for the dashboard and benchmark. */
  lastFetch: { modelId: string; bytes: number; ms: number; fromCache: boolean; holders: number } | null = null;

  async #fetch(modelId: string, holders: string[], request: PeerChunkRequest, opts: FetchModelOptions): Promise<ModelBundle> {
    const t0 = performance.now();
    const cached = await this.#fromCache(modelId).catch(() => null);
    if (cached) {
      await this.#keep(cached, false);
      this.lastFetch = { modelId, bytes: 0, ms: performance.now() - t0, fromCache: true, holders: 0 };
      return cached;
    }
    if (holders.length === 0) throw new ModelFetchError(`model ${modelId.slice(0, 12)}: no peer holds it`);
    let bytes = 0;
    const blob = async (hash: string, maxBytes: number): Promise<Uint8Array> => {
      let turn = 0;
      const spread = async (req: MessageOf<'blob-request'>, o: { signal?: AbortSignal; timeoutMs: number }): Promise<MessageOf<'blob-chunk'>> => {
        const first = (req.index + turn++) % holders.length;
        let last: unknown;
        for (let k = 0; k < holders.length; k++) {
          const peer = holders[(first + k) % holders.length] as string;
          try {
            const c = await request(peer, req, o);
            if (c.found) return c;
            last = new Error(`peer ${peer.slice(-6)} does not hold it`);
          } catch (e) {
            last = e;
            if (o.signal?.aborted) throw e;
          }
        }
        throw last as Error;
      };
      try {
        const b = await fetchBlobChunks(spread, hash, { ...(opts.signal ? { signal: opts.signal } : {}), window: opts.window ?? 8, maxBytes });
        bytes += b.byteLength;
        return b;
      } catch (e) {
        throw new ModelFetchError(`blob ${hash.slice(0, 12)}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    };
    const manifestBytes = await blob(modelId, MAX_MANIFEST_BYTES);
    const manifest = parseManifestBytes(manifestBytes, modelId);
    const files: Record<string, Uint8Array> = {};
    for (const f of manifest.files) {
      const b = await blob(f.sha256, Math.min(f.bytes, MAX_BLOB_BYTES));
      if (b.byteLength !== f.bytes) throw new ModelFetchError(`file ${f.path}: ${b.byteLength} bytes, the manifest says ${f.bytes}`);
      files[f.path] = b;
    }
    const bundle = { modelId, manifest, manifestBytes, files };
    await this.#keep(bundle);
    this.lastFetch = { modelId, bytes, ms: performance.now() - t0, fromCache: false, holders: holders.length };
    return bundle;
  }

  async #fromCache(modelId: string): Promise<ModelBundle | null> {
    const manifestBytes = await this.#store.get(modelId);
    if (!manifestBytes || (await sha256Hex(manifestBytes)) !== modelId) return null;
    const manifest = parseManifestBytes(manifestBytes, modelId);
    const files: Record<string, Uint8Array> = {};
    for (const f of manifest.files) {
      const b = await this.#store.get(f.sha256);
      // A damaged cache entry is refetched, never used.
      if (!b || b.byteLength !== f.bytes || (await sha256Hex(b)) !== f.sha256) return null;
      files[f.path] = b;
    }
    return { modelId, manifest, manifestBytes, files };
  }

  async #keep(b: ModelBundle, persist = true): Promise<void> {
    this.#serving.set(b.modelId, b.manifestBytes);
    for (const f of b.manifest.files) this.#serving.set(f.sha256, b.files[f.path] as Uint8Array);
    this.#models.add(b.modelId);
    if (!persist) return;
    try {
      for (const f of b.manifest.files) await this.#store.put(f.sha256, b.files[f.path] as Uint8Array);
      // The manifest goes last: its presence means every file is already stored.
      await this.#store.put(b.modelId, b.manifestBytes);
    } catch {
      // A full or unavailable cache costs a refetch next time, nothing else.
    }
  }
}
