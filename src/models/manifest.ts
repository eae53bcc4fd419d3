/**
 * The model manifest, `tabmesh-model/1`: which graph to run, what input it takes, which files
 * hold the weights (with their size and SHA-256), and every tensor's dtype and shape. A manifest
 * arrives from peers and servers, so {@link parseManifest} validates every field and caps every
 * size before anything trusts it; each error names the field (`manifest.files[0].sha256 ...`).
 *
 * @example
 * ```ts
 * const manifest = parseManifest(await (await fetch('/models/digits-cnn/manifest.json')).json());
 * manifest.tensors['fc1.weight']?.shape; // [784, 64]
 * ```
 */
import { InvalidManifestError } from './errors.ts';
import {
  describe,
  isBoundedString,
  isFiniteNumber,
  isNonNegativeInt,
  isPlainObject,
  isPositiveInt,
  keyPath,
} from './assert.ts';

/** The only format this code reads. A breaking change to the shape below gets a new number. */
export const MANIFEST_FORMAT = 'tabmesh-model/1';

/** Graph ids the runtime knows how to build. */
export const MODEL_ARCHITECTURES = ['digits-cnn'] as const;
export type ModelArchitecture = (typeof MODEL_ARCHITECTURES)[number];

/** Weight dtypes a manifest may declare (compute is f32; halves are widened at load). */
export const MANIFEST_TENSOR_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type ManifestTensorDtype = (typeof MANIFEST_TENSOR_DTYPES)[number];

/** Bytes per element of each manifest dtype. */
export const MANIFEST_DTYPE_BYTES: Readonly<Record<ManifestTensorDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

/** Upper bounds enforced by {@link parseManifest}: a manifest beyond them is refused outright. */
export const MANIFEST_LIMITS = Object.freeze({
  /** Most tensors in one model. */
  maxTensors: 4096,
  /** Longest tensor name, label, config key or other name. */
  maxNameLength: 256,
  /** Most dimensions of a tensor or of the input. */
  maxRank: 8,
  /** Most files in one model. */
  maxFiles: 64,
  /** Largest total of all files' bytes (512 MiB). */
  maxTotalBytes: 512 * 1024 * 1024,
  /** Longest file path. */
  maxPathLength: 256,
  /** Most labels. */
  maxLabels: 65_536,
  /** Most entries in `config` and in `training`. */
  maxConfigEntries: 256,
  /** Longest number array in `config` or `training`. */
  maxConfigArrayLength: 4096,
  /** Longest free-text value (name, version, config strings). */
  maxTextLength: 1024,
});

/** A hyper-parameter value: JSON scalars and flat number lists only. */
export type ConfigValue = number | string | boolean | number[];

/** One file of the model, addressed relative to the manifest's URL. */
export interface ManifestFile {
  /** Relative path: segments of `[A-Za-z0-9._-]` joined by '/', no '.' or '..' segment. */
  path: string;
  /** Exact length in bytes. */
  bytes: number;
  /** SHA-256 of the file, 64 lowercase hex digits. */
  sha256: string;
}

/** Where a tensor lives and what it must look like. */
export interface ManifestTensor {
  /** A `files[].path` of this manifest. */
  file: string;
  dtype: ManifestTensorDtype;
  /** Row-major shape; every dimension positive. */
  shape: number[];
}

/** A data set published beside the model (e.g. the held-out evaluation split). */
export interface ManifestDataset {
  /** URL path from the site root, e.g. `/datasets/mnist-heldout.safetensors`. */
  url: string;
  bytes: number;
  sha256: string;
}

/** How the shipped weights were produced, so anyone can reproduce and check them. */
export interface TrainingRecord {
  seed: number;
  trainSamples: number;
  heldOutSamples: number;
  epochs: number;
  /** Fraction in [0, 1] of held-out samples classified correctly. */
  heldOutAccuracy: number;
  /** The held-out samples themselves, when published. */
  heldOutDataset?: ManifestDataset;
  /** Further facts (optimizer, batch size, wall time...). */
  [key: string]: ConfigValue | ManifestDataset | undefined;
}

/** A validated `tabmesh-model/1` manifest. */
export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  architecture: ModelArchitecture;
  input: {
    /** Per-sample shape, e.g. [1, 28, 28]. */
    shape: number[];
    dtype: 'f32';
    /** How raw input maps to the f32 the graph expects, e.g. `pixel/255`. */
    scale: string;
  };
  labels: string[];
  config: Record<string, ConfigValue>;
  files: ManifestFile[];
  tensors: Record<string, ManifestTensor>;
  training?: TrainingRecord;
}

const TOP_LEVEL_KEYS = ['format', 'name', 'version', 'architecture', 'input', 'labels', 'config', 'files', 'tensors', 'training'];
const SHA256_HEX = /^[0-9a-f]{64}$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

/**
 * Validates untrusted JSON as a `tabmesh-model/1` manifest and returns a fresh, normalised copy
 * (null-prototype maps, so keys like `__proto__` are inert). Throws {@link InvalidManifestError}
 * whose message starts with the path of the first bad field.
 *
 * @example
 * ```ts
 * try { parseManifest(JSON.parse(text)) }
 * catch (err) { console.log((err as Error).message) } // 'manifest.files[0].sha256 must be 64 lowercase hex digits'
 * ```
 */
export function parseManifest(json: unknown): ModelManifest {
  const root = 'manifest';
  const m = object(json, root);
  for (const key of Object.keys(m)) {
    if (!TOP_LEVEL_KEYS.includes(key)) fail(`${root}${keyPath(key)}`, 'is not a known manifest field');
  }
  if (m['format'] !== MANIFEST_FORMAT) {
    fail(`${root}.format`, `must be ${JSON.stringify(MANIFEST_FORMAT)}, got ${describe(m['format'])}`);
  }
  const name = text(m['name'], `${root}.name`, MANIFEST_LIMITS.maxNameLength);
  const version = text(m['version'], `${root}.version`, MANIFEST_LIMITS.maxNameLength);
  const architecture = m['architecture'];
  if (!(MODEL_ARCHITECTURES as readonly unknown[]).includes(architecture)) {
    fail(`${root}.architecture`, `must be one of ${MODEL_ARCHITECTURES.join(', ')}, got ${describe(architecture)}`);
  }
  const input = parseInput(m['input'], `${root}.input`);
  const labels = parseLabels(m['labels'], `${root}.labels`);
  const config = parseConfigMap(m['config'], `${root}.config`);
  const files = parseFiles(m['files'], `${root}.files`);
  const tensors = parseTensors(m['tensors'], `${root}.tensors`, files);
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    name,
    version,
    architecture: architecture as ModelArchitecture,
    input,
    labels,
    config,
    files,
    tensors,
  };
  if (m['training'] !== undefined) manifest.training = parseTraining(m['training'], `${root}.training`);
  return manifest;
}

/**
 * Bytes a tensor of this dtype and shape occupies.
 *
 * @example
 * ```ts
 * manifestTensorBytes({ dtype: 'F16', shape: [784, 64] }); // 100352
 * ```
 */
export function manifestTensorBytes(tensor: Pick<ManifestTensor, 'dtype' | 'shape'>): number {
  return tensor.shape.reduce((a, b) => a * b, 1) * MANIFEST_DTYPE_BYTES[tensor.dtype];
}

function fail(field: string, problem: string): never {
  throw new InvalidManifestError(field, problem);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (!isPlainObject(value)) fail(field, `must be an object, got ${describe(value)}`);
  return value;
}

function array(value: unknown, field: string, maxLength: number): unknown[] {
  if (!Array.isArray(value)) fail(field, `must be an array, got ${describe(value)}`);
  if (value.length > maxLength) fail(field, `has ${value.length} entries, above the limit of ${maxLength}`);
  return value;
}

function text(value: unknown, field: string, maxLength: number): string {
  if (!isBoundedString(value, maxLength)) fail(field, `must be a non-empty string of at most ${maxLength} characters, got ${describe(value)}`);
  if (!NO_CONTROL_CHARS.test(value)) fail(field, 'must not contain control characters');
  return value;
}

function onlyKeys(obj: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(`${field}${keyPath(key)}`, 'is not a known field');
  }
}

function shape(value: unknown, field: string): number[] {
  const dims = array(value, field, MANIFEST_LIMITS.maxRank);
  let elements = 1;
  dims.forEach((d, i) => {
    if (!isPositiveInt(d)) fail(`${field}[${i}]`, `must be a positive integer, got ${describe(d)}`);
    elements *= d;
    if (elements > MANIFEST_LIMITS.maxTotalBytes) fail(field, `has more elements than a model may hold (${MANIFEST_LIMITS.maxTotalBytes})`);
  });
  return [...(dims as number[])];
}

function parseInput(value: unknown, field: string): ModelManifest['input'] {
  const input = object(value, field);
  onlyKeys(input, field, ['shape', 'dtype', 'scale']);
  const inputShape = shape(input['shape'], `${field}.shape`);
  if (input['dtype'] !== 'f32') fail(`${field}.dtype`, `must be "f32", got ${describe(input['dtype'])}`);
  const scale = text(input['scale'], `${field}.scale`, MANIFEST_LIMITS.maxNameLength);
  return { shape: inputShape, dtype: 'f32', scale };
}

function parseLabels(value: unknown, field: string): string[] {
  return array(value, field, MANIFEST_LIMITS.maxLabels).map((label, i) => text(label, `${field}[${i}]`, MANIFEST_LIMITS.maxNameLength));
}

/** `config` (and the free part of `training`): string keys to numbers, strings, booleans, number lists. */
function parseConfigMap(value: unknown, field: string): Record<string, ConfigValue> {
  const map = object(value, field);
  const keys = Object.keys(map);
  if (keys.length > MANIFEST_LIMITS.maxConfigEntries) fail(field, `has ${keys.length} entries, above the limit of ${MANIFEST_LIMITS.maxConfigEntries}`);
  const out = Object.create(null) as Record<string, ConfigValue>;
  for (const key of keys) {
    const at = `${field}${keyPath(key)}`;
    if (key.length === 0 || key.length > MANIFEST_LIMITS.maxNameLength) fail(at, `key must be 1 to ${MANIFEST_LIMITS.maxNameLength} characters long`);
    out[key] = configValue(map[key], at);
  }
  return out;
}

function configValue(value: unknown, field: string): ConfigValue {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(field, 'must be a finite number');
    return value;
  }
  if (typeof value === 'string') {
    if (value.length > MANIFEST_LIMITS.maxTextLength) fail(field, `is longer than ${MANIFEST_LIMITS.maxTextLength} characters`);
    return value;
  }
  if (Array.isArray(value)) {
    const list = array(value, field, MANIFEST_LIMITS.maxConfigArrayLength);
    list.forEach((v, i) => {
      if (!isFiniteNumber(v)) fail(`${field}[${i}]`, `must be a finite number, got ${describe(v)}`);
    });
    return [...(list as number[])];
  }
  return fail(field, `must be a number, string, boolean or array of numbers, got ${describe(value)}`);
}

function filePath(value: unknown, field: string): string {
  if (!isBoundedString(value, MANIFEST_LIMITS.maxPathLength)) {
    fail(field, `must be a non-empty string of at most ${MANIFEST_LIMITS.maxPathLength} characters, got ${describe(value)}`);
  }
  // An allow-list rather than a deny-list: no '/', '\', ':', '%', '?', '#' tricks can get through,
  // so resolving the path against the manifest URL can never leave the manifest's directory.
  const segments = value.split('/');
  segments.forEach((segment) => {
    if (segment === '') fail(field, `must be relative with no empty segment (no leading, trailing or double '/'), got ${describe(value)}`);
    if (segment === '.' || segment === '..') fail(field, `must not contain '.' or '..' segments, got ${describe(value)}`);
    if (!PATH_SEGMENT.test(segment)) fail(field, `may only use A-Z a-z 0-9 . _ - and '/', got ${describe(value)}`);
  });
  return value;
}

function sha256(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) fail(field, `must be 64 lowercase hex digits, got ${describe(value)}`);
  return value;
}

function parseFiles(value: unknown, field: string): ManifestFile[] {
  const list = array(value, field, MANIFEST_LIMITS.maxFiles);
  if (list.length === 0) fail(field, 'must list at least one file');
  const seen = new Set<string>();
  let total = 0;
  return list.map((raw, i) => {
    const at = `${field}[${i}]`;
    const file = object(raw, at);
    onlyKeys(file, at, ['path', 'bytes', 'sha256']);
    const path = filePath(file['path'], `${at}.path`);
    if (seen.has(path)) fail(`${at}.path`, `${JSON.stringify(path)} is listed twice`);
    seen.add(path);
    const bytes = file['bytes'];
    if (!isPositiveInt(bytes)) fail(`${at}.bytes`, `must be a positive integer, got ${describe(bytes)}`);
    total += bytes;
    if (total > MANIFEST_LIMITS.maxTotalBytes) fail(`${at}.bytes`, `brings the model to ${total} bytes, above the limit of ${MANIFEST_LIMITS.maxTotalBytes}`);
    return { path, bytes, sha256: sha256(file['sha256'], `${at}.sha256`) };
  });
}

function parseTensors(value: unknown, field: string, files: readonly ManifestFile[]): Record<string, ManifestTensor> {
  const map = object(value, field);
  const names = Object.keys(map);
  if (names.length === 0) fail(field, 'must declare at least one tensor');
  if (names.length > MANIFEST_LIMITS.maxTensors) fail(field, `has ${names.length} tensors, above the limit of ${MANIFEST_LIMITS.maxTensors}`);
  const fileBytes = new Map(files.map((f) => [f.path, f.bytes]));
  const usedBytes = new Map<string, number>();
  const out = Object.create(null) as Record<string, ManifestTensor>;
  for (const name of names) {
    const at = `${field}${keyPath(name)}`;
    if (name.length > MANIFEST_LIMITS.maxNameLength || !NO_CONTROL_CHARS.test(name)) {
      fail(at, `name must be 1 to ${MANIFEST_LIMITS.maxNameLength} characters without control characters`);
    }
    const t = object(map[name], at);
    onlyKeys(t, at, ['file', 'dtype', 'shape']);
    const file = t['file'];
    if (typeof file !== 'string' || !fileBytes.has(file)) fail(`${at}.file`, `must be one of the files[].path, got ${describe(file)}`);
    const dtype = t['dtype'];
    if (!(MANIFEST_TENSOR_DTYPES as readonly unknown[]).includes(dtype)) {
      fail(`${at}.dtype`, `must be one of ${MANIFEST_TENSOR_DTYPES.join(', ')}, got ${describe(dtype)}`);
    }
    const tensor: ManifestTensor = { file, dtype: dtype as ManifestTensorDtype, shape: shape(t['shape'], `${at}.shape`) };
    // A file holds its tensors plus at least the 8-byte header length: catch impossible
    // manifests here, before anyone downloads anything.
    const used = (usedBytes.get(file) ?? 8) + manifestTensorBytes(tensor);
    if (used > (fileBytes.get(file) as number)) {
      fail(`${at}.shape`, `needs more bytes than ${JSON.stringify(file)} has (${fileBytes.get(file)})`);
    }
    usedBytes.set(file, used);
    out[name] = tensor;
  }
  return out;
}

const TRAINING_COUNTS = ['seed', 'trainSamples', 'heldOutSamples', 'epochs'] as const;

function parseTraining(value: unknown, field: string): TrainingRecord {
  const raw = object(value, field);
  for (const key of TRAINING_COUNTS) {
    if (!isNonNegativeInt(raw[key])) fail(`${field}.${key}`, `must be a non-negative integer, got ${describe(raw[key])}`);
  }
  const accuracy = raw['heldOutAccuracy'];
  if (!isFiniteNumber(accuracy) || accuracy < 0 || accuracy > 1) {
    fail(`${field}.heldOutAccuracy`, `must be a number in [0, 1], got ${describe(accuracy)}`);
  }
  const { heldOutDataset, ...rest } = raw;
  const record = parseConfigMap(rest, field) as TrainingRecord;
  if (heldOutDataset !== undefined) record.heldOutDataset = parseDataset(heldOutDataset, `${field}.heldOutDataset`);
  return record;
}

function parseDataset(value: unknown, field: string): ManifestDataset {
  const d = object(value, field);
  onlyKeys(d, field, ['url', 'bytes', 'sha256']);
  const url = d['url'];
  if (typeof url !== 'string' || !url.startsWith('/') || filePathOrUndefined(url.slice(1)) === undefined) {
    fail(`${field}.url`, `must be a site-root path like "/datasets/x.safetensors" with no '..', got ${describe(url)}`);
  }
  if (!isPositiveInt(d['bytes'])) fail(`${field}.bytes`, `must be a positive integer, got ${describe(d['bytes'])}`);
  return { url, bytes: d['bytes'], sha256: sha256(d['sha256'], `${field}.sha256`) };
}

function filePathOrUndefined(path: string): string | undefined {
  try {
    return filePath(path, 'path');
  } catch {
    return undefined;
  }
}
