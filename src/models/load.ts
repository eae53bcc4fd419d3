/**
 * Loads a model safely: manifest first (validated), then each file, whose length is checked
 * against the manifest while it streams in and whose SHA-256 is checked before a single byte of
 * it is parsed; then every tensor is matched against the manifest (same dtype, same shape, none
 * missing, none extra) and widened to f32. Works in browsers, Workers and Node 20 (global `fetch`
 * and `crypto.subtle`).
 *
 * @example
 * ```ts
 * const model = await loadModel({ manifestUrl: '/models/digits-cnn/manifest.json' });
 * const fc1 = model.tensors.get('fc1.weight'); // { dtype: 'f32', shape: [784, 64], data: Float32Array }
 * ```
 */
import {
  InvalidManifestError,
  MissingTensorError,
  ModelFetchError,
  TensorDtypeMismatchError,
  TensorShapeMismatchError,
  UnexpectedTensorError,
  WeightsHashMismatchError,
  WeightsSizeMismatchError,
} from './errors.ts';
import { isBytes } from './assert.ts';
import { parseManifest, type ManifestFile, type ModelManifest } from './manifest.ts';
import { parseSafetensors, tensorToFloat32 } from './safetensors.ts';

/** A weight ready for compute: always f32, row-major. */
export interface LoadedTensor {
  dtype: 'f32';
  shape: number[];
  /** For F32 files this views the downloaded file: tensors of one file share one ArrayBuffer. */
  data: Float32Array;
}

/** A verified model. */
export interface LoadedModel {
  manifest: ModelManifest;
  tensors: Map<string, LoadedTensor>;
  /** Verified files that hold no tensors (tokenizers, vocabularies...), by manifest path. */
  files: Map<string, Uint8Array>;
  /** SHA-256 of the manifest's bytes as fetched (its content address); only with `manifestUrl`. */
  manifestSha256?: string;
}

/** What a file fetcher may answer: a Response (streamed with limits) or the bytes themselves. */
export type FileSource = Response | Uint8Array | ArrayBuffer;

/** Fetches one manifest file by its relative path (e.g. from a peer, a cache, or disk). */
export type FetchFile = (path: string, init: { signal?: AbortSignal }) => Promise<FileSource>;

/** Load from a URL: the manifest and the files beside it (paths resolve against its URL). */
export interface LoadFromUrlOptions {
  manifestUrl: string | URL;
  /** Defaults to the global fetch. */
  fetch?: (input: URL, init: { signal?: AbortSignal }) => Promise<Response>;
  signal?: AbortSignal;
  /** Largest manifest accepted, in bytes (default 1 MiB). */
  maxManifestBytes?: number;
}

/** Load from a manifest already in hand (object or parsed JSON) and a fetcher for its files. */
export interface LoadFromManifestOptions {
  manifest: unknown;
  fetchFile: FetchFile;
  signal?: AbortSignal;
}

export type LoadModelOptions = LoadFromUrlOptions | LoadFromManifestOptions;

/** Default cap on a manifest download: real manifests are a few KiB. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Loads and verifies a model; see the module comment for the checks. Throws one of the errors of
 * `./errors.ts` naming the file or tensor at fault; an abort rejects with the signal's reason.
 *
 * @example
 * ```ts
 * const model = await loadModel({ manifest, fetchFile: async (path) => peerCache.get(path) });
 * ```
 */
export async function loadModel(opts: LoadModelOptions): Promise<LoadedModel> {
  if ('manifestUrl' in opts) return loadFromUrl(opts);
  const manifest = parseManifest(opts.manifest);
  return loadFiles(manifest, opts.fetchFile, opts.signal);
}

async function loadFromUrl(opts: LoadFromUrlOptions): Promise<LoadedModel> {
  const fetchImpl = opts.fetch ?? ((input: URL, init: { signal?: AbortSignal }) => globalThis.fetch(input, init));
  const manifestUrl = absoluteUrl(opts.manifestUrl);
  const limit = opts.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const response = await fetchOrThrow(() => fetchImpl(manifestUrl, { signal: opts.signal }), manifestUrl.href, opts.signal);
  const bytes = await readResponse(response, manifestUrl.href, { max: limit }, opts.signal);
  const manifest = parseManifest(decodeJson(bytes));
  const fetchFile: FetchFile = (path, init) => fetchImpl(new URL(path, manifestUrl), init);
  const model = await loadFiles(manifest, fetchFile, opts.signal);
  model.manifestSha256 = await sha256Hex(bytes);
  return model;
}

function absoluteUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(String(url), base);
  } catch (cause) {
    throw new ModelFetchError(String(url), 'not a valid URL (relative URLs need a page to resolve against)', undefined, { cause });
  }
}

function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidManifestError('manifest', `is not valid UTF-8 JSON (${(err as Error).message})`);
  }
}

async function loadFiles(manifest: ModelManifest, fetchFile: FetchFile, signal: AbortSignal | undefined): Promise<LoadedModel> {
  const tensors = new Map<string, LoadedTensor>();
  const files = new Map<string, Uint8Array>();
  const tensorFiles = new Set(Object.values(manifest.tensors).map((t) => t.file));
  // One file at a time: peak memory stays near the largest file rather than the whole model.
  for (const file of manifest.files) {
    signal?.throwIfAborted();
    const source = await fetchOrThrow(() => fetchFile(file.path, { signal }), file.path, signal);
    const bytes = await readSource(source, file, signal);
    const actual = await sha256Hex(bytes);
    if (actual !== file.sha256) throw new WeightsHashMismatchError(file.path, file.sha256, actual);
    if (tensorFiles.has(file.path)) collectTensors(manifest, file.path, bytes, tensors);
    else files.set(file.path, bytes);
  }
  return { manifest, tensors, files };
}

/** Checks one verified safetensors file against the manifest and adds its tensors as f32. */
function collectTensors(manifest: ModelManifest, path: string, bytes: Uint8Array, out: Map<string, LoadedTensor>): void {
  const parsed = parseSafetensors(bytes, { source: path });
  for (const [name, expected] of Object.entries(manifest.tensors)) {
    if (expected.file !== path) continue;
    const found = parsed.tensors.get(name);
    if (found === undefined) throw new MissingTensorError(name, path);
    if (found.dtype !== expected.dtype) throw new TensorDtypeMismatchError(name, path, expected.dtype, found.dtype);
    if (!sameShape(found.shape, expected.shape)) throw new TensorShapeMismatchError(name, path, expected.shape, found.shape);
  }
  for (const [name, found] of parsed.tensors) {
    if (manifest.tensors[name]?.file !== path) throw new UnexpectedTensorError(name, path);
    out.set(name, { dtype: 'f32', shape: found.shape, data: tensorToFloat32(found) });
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

async function fetchOrThrow<T>(doFetch: () => Promise<T>, url: string, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await doFetch();
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new ModelFetchError(url, (err as Error)?.message ?? String(err), undefined, { cause: err });
  }
}

/**
 * The file's bytes, exactly `file.bytes` long. Bytes handed over by the caller are copied, so
 * what was hashed is what gets parsed even if the caller mutates its array afterwards.
 */
async function readSource(source: FileSource, file: ManifestFile, signal: AbortSignal | undefined): Promise<Uint8Array<ArrayBuffer>> {
  let bytes: Uint8Array<ArrayBuffer>;
  if (isBytes(source)) bytes = new Uint8Array(source);
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source.slice(0));
  else bytes = await readResponse(source, file.path, { exact: file.bytes }, signal);
  if (bytes.length !== file.bytes) throw new WeightsSizeMismatchError(file.path, file.bytes, bytes.length);
  return bytes;
}

type ReadLimit = { exact: number } | { max: number };

/**
 * Reads a response body without ever holding more than the limit: a Content-Length that
 * disagrees is refused before reading, and the stream is cancelled as soon as it overflows.
 */
async function readResponse(response: Response, label: string, limit: ReadLimit, signal: AbortSignal | undefined): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.ok) throw new ModelFetchError(label, `HTTP ${response.status} ${response.statusText}`.trim(), response.status);
  const max = 'exact' in limit ? limit.exact : limit.max;
  const tooBig = (seen: number, how: string): Error =>
    'exact' in limit
      ? new WeightsSizeMismatchError(label, limit.exact, seen, how)
      : new ModelFetchError(label, `response ${how} ${seen} bytes, above the limit of ${limit.max}`, response.status);

  // With Content-Encoding the header counts compressed bytes, so it says nothing about the size.
  const encoding = response.headers.get('content-encoding');
  const announced = response.headers.get('content-length');
  if (announced !== null && (encoding === null || encoding === 'identity')) {
    const n = Number(announced);
    if (Number.isSafeInteger(n) && ('exact' in limit ? n !== limit.exact : n > limit.max)) throw tooBig(n, 'announces');
  }

  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  // For an exact size the buffer is allocated once; otherwise grow by doubling up to the cap.
  let buffer = new Uint8Array('exact' in limit ? limit.exact : Math.min(max, 64 * 1024));
  let length = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.length > max) {
        void reader.cancel().catch(() => {});
        throw tooBig(length + value.length, 'sent at least');
      }
      if (length + value.length > buffer.length) {
        const grown = new Uint8Array(Math.min(max, Math.max(buffer.length * 2, length + value.length)));
        grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      buffer.set(value, length);
      length += value.length;
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (err instanceof WeightsSizeMismatchError || err instanceof ModelFetchError) throw err;
    throw new ModelFetchError(label, `reading the body failed: ${(err as Error)?.message ?? String(err)}`, response.status, { cause: err });
  } finally {
    reader.releaseLock();
  }
  return length === buffer.length ? buffer : buffer.slice(0, length);
}

/**
 * Lowercase hex SHA-256 of some bytes, through WebCrypto (browsers, Workers, Node 20).
 *
 * @example
 * ```ts
 * await sha256Hex(new TextEncoder().encode('abc')); // 'ba7816bf...'
 * ```
 */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
