/**
 * A strict safetensors reader and writer (https://github.com/huggingface/safetensors).
 *
 * Layout: 8 bytes little-endian u64 `N`, then `N` bytes of UTF-8 JSON (may end in spaces), then
 * the data section. The JSON maps tensor names to `{ dtype, shape, data_offsets: [begin, end] }`
 * (offsets relative to the data section) and may hold `__metadata__`, a string-to-string map.
 *
 * The reader checks everything before it creates a single view: header length sane and inside the
 * file, header valid UTF-8 JSON, every entry's dtype known, shape made of non-negative integers,
 * offsets inside the data section and exactly `product(shape) * dtypeSize` long, and the tensors
 * tiling the data section with no overlap and no hole (the format forbids holes; it also means a
 * duplicated JSON key, which JSON.parse silently collapses, shows up as a hole and is refused).
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } });
 * const file = parseSafetensors(bytes);
 * const w = tensorToFloat32(file.tensors.get('w')!); // Float32Array [1, 2, 3, 4]
 * ```
 */
import { InvalidSafetensorsError } from './errors.ts';
import {
  abytes,
  describe,
  hasOwn,
  isNonNegativeInt,
  isPlainObject,
  keyPath,
  LITTLE_ENDIAN_HOST,
} from './assert.ts';

/** Element types this reader understands, with their size in bytes. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I32: 4,
  I16: 2,
  I8: 1,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

/** A dtype string this reader understands. */
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** Dtypes that exist in the format but that this reader refuses (no use for them here yet). */
const KNOWN_UNSUPPORTED_DTYPES = new Set(['I64', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

/**
 * The typed array holding a tensor's elements as stored: F16 and BF16 are raw 16-bit patterns in a
 * Uint16Array (use {@link tensorToFloat32} to compute with them), BOOL is a Uint8Array of 0/1.
 */
export type SafetensorsData =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** One tensor: dtype, shape (row-major), and its elements. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

/** A parsed file: its `__metadata__` (empty when absent) and its tensors by name. */
export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensor>;
}

/** Limits applied by {@link parseSafetensors}; all are upper bounds. */
export interface SafetensorsLimits {
  /** Largest accepted JSON header, in bytes. */
  maxHeaderBytes: number;
  /** Most tensors in one file. */
  maxTensors: number;
  /** Most dimensions per tensor. */
  maxRank: number;
  /** Longest tensor name, in UTF-16 units. */
  maxNameLength: number;
}

/** Defaults: generous for real models, small enough that a hostile header cannot hurt. */
export const SAFETENSORS_LIMITS: Readonly<SafetensorsLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024 * 1024,
  maxTensors: 16_384,
  maxRank: 16,
  maxNameLength: 1024,
});

/** Options of {@link parseSafetensors}. */
export interface ParseSafetensorsOptions extends Partial<SafetensorsLimits> {
  /**
   * Always copy tensor data out of `bytes` (default false: aligned tensors are zero-copy views
   * into `bytes`, unaligned ones are copied because typed arrays need aligned offsets).
   */
  copy?: boolean;
  /** Names the file in error messages, e.g. `weights.safetensors`. */
  source?: string;
}

const HEADER_LENGTH_BYTES = 8;
const OPEN_BRACE = 0x7b;
const METADATA_KEY = '__metadata__';
const TENSOR_KEYS = new Set(['dtype', 'shape', 'data_offsets']);

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and validates a safetensors file. Throws {@link InvalidSafetensorsError} naming the bad
 * field on any defect; nothing is returned unless the whole file checks out.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, opts: ParseSafetensorsOptions = {}): SafetensorsFile {
  abytes(bytes, 'parseSafetensors(bytes)');
  try {
    return parseChecked(bytes, opts);
  } catch (err) {
    // Errors are raised without the file name (the checks below do not know it); add it here.
    if (err instanceof InvalidSafetensorsError && opts.source !== undefined) {
      throw new InvalidSafetensorsError(err.field, err.problem, opts.source);
    }
    throw err;
  }
}

function parseChecked(bytes: Uint8Array, opts: ParseSafetensorsOptions): SafetensorsFile {
  const limits = { ...SAFETENSORS_LIMITS, ...definedOnly(opts) };
  const headerLength = readHeaderLength(bytes, limits.maxHeaderBytes);
  const header = decodeHeader(bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength));
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataLength = bytes.length - dataStart;

  const metadata = readMetadata(header);
  const entries = readEntries(header, dataLength, limits);
  checkTiling(entries, dataLength);

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const data = viewElements(e.dtype, raw, opts.copy === true);
    if (e.dtype === 'BOOL') checkBooleans(e.name, data as Uint8Array);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { metadata, tensors };
}

function definedOnly(opts: ParseSafetensorsOptions): Partial<SafetensorsLimits> {
  const out: Partial<SafetensorsLimits> = {};
  for (const key of ['maxHeaderBytes', 'maxTensors', 'maxRank', 'maxNameLength'] as const) {
    const v = opts[key];
    if (v !== undefined) {
      if (!isNonNegativeInt(v)) throw new TypeError(`parseSafetensors option ${key} must be a non-negative integer`);
      out[key] = v;
    }
  }
  return out;
}

function readHeaderLength(bytes: Uint8Array, maxHeaderBytes: number): number {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    throw new InvalidSafetensorsError('file', `is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LENGTH_BYTES);
  // Read as BigInt so a hostile 2^64-1 is reported exactly instead of rounded.
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(maxHeaderBytes)) {
    throw new InvalidSafetensorsError('header length', `is ${declared} bytes, above the limit of ${maxHeaderBytes}`);
  }
  const length = Number(declared);
  if (length > bytes.length - HEADER_LENGTH_BYTES) {
    throw new InvalidSafetensorsError(
      'header length',
      `is ${length} bytes, which points past the end of the file (${bytes.length} bytes)`,
    );
  }
  if (length < 2) throw new InvalidSafetensorsError('header length', `is ${length} bytes, too short for a JSON object`);
  return length;
}

function decodeHeader(headerBytes: Uint8Array): Record<string, unknown> {
  // The format requires the JSON to start with '{' (no leading whitespace, no BOM).
  if (headerBytes[0] !== OPEN_BRACE) throw new InvalidSafetensorsError('header', 'must start with "{"');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new InvalidSafetensorsError('header', 'is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidSafetensorsError('header', `is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) throw new InvalidSafetensorsError('header', `must be a JSON object, got ${describe(json)}`);
  return json;
}

function readMetadata(header: Record<string, unknown>): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!hasOwn(header, METADATA_KEY)) return metadata;
  const raw = header[METADATA_KEY];
  if (!isPlainObject(raw)) throw new InvalidSafetensorsError('header.__metadata__', 'must be an object of strings');
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new InvalidSafetensorsError(`header.__metadata__${keyPath(key)}`, `must be a string, got ${describe(value)}`);
    }
    metadata[key] = value;
  }
  return metadata;
}

function readEntries(header: Record<string, unknown>, dataLength: number, limits: SafetensorsLimits): HeaderEntry[] {
  const names = Object.keys(header).filter((k) => k !== METADATA_KEY);
  if (names.length > limits.maxTensors) {
    throw new InvalidSafetensorsError('header', `has ${names.length} tensors, above the limit of ${limits.maxTensors}`);
  }
  return names.map((name) => readEntry(name, header[name], dataLength, limits));
}

function readEntry(name: string, raw: unknown, dataLength: number, limits: SafetensorsLimits): HeaderEntry {
  const field = `header${keyPath(name)}`;
  if (name.length === 0 || name.length > limits.maxNameLength) {
    throw new InvalidSafetensorsError(field, `name must be 1 to ${limits.maxNameLength} characters long`);
  }
  if (!isPlainObject(raw)) throw new InvalidSafetensorsError(field, `must be an object, got ${describe(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!TENSOR_KEYS.has(key)) throw new InvalidSafetensorsError(`${field}${keyPath(key)}`, 'is not a known tensor field');
  }

  const dtype = raw['dtype'];
  if (typeof dtype !== 'string') throw new InvalidSafetensorsError(`${field}.dtype`, `must be a string, got ${describe(dtype)}`);
  if (!hasOwn(SAFETENSORS_DTYPE_BYTES, dtype)) {
    const why = KNOWN_UNSUPPORTED_DTYPES.has(dtype) ? 'is not supported' : 'is not a known dtype';
    throw new InvalidSafetensorsError(`${field}.dtype`, `${JSON.stringify(dtype)} ${why} (supported: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`);
  }
  const elementBytes = SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDtype];

  const shape = raw['shape'];
  if (!Array.isArray(shape)) throw new InvalidSafetensorsError(`${field}.shape`, `must be an array, got ${describe(shape)}`);
  if (shape.length > limits.maxRank) {
    throw new InvalidSafetensorsError(`${field}.shape`, `has rank ${shape.length}, above the limit of ${limits.maxRank}`);
  }
  shape.forEach((d: unknown, i) => {
    if (!isNonNegativeInt(d)) throw new InvalidSafetensorsError(`${field}.shape[${i}]`, `must be a non-negative integer, got ${describe(d)}`);
  });
  const elements = countElements(shape as number[], Math.floor(dataLength / elementBytes));
  if (elements === undefined) {
    throw new InvalidSafetensorsError(`${field}.shape`, `[${shape.join(',')}] needs more bytes than the data section holds (${dataLength})`);
  }

  const offsets = raw['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new InvalidSafetensorsError(`${field}.data_offsets`, 'must be an array [begin, end]');
  }
  const [begin, end] = offsets as unknown[];
  if (!isNonNegativeInt(begin) || !isNonNegativeInt(end)) {
    throw new InvalidSafetensorsError(`${field}.data_offsets`, `must be two non-negative integers, got [${describe(begin)}, ${describe(end)}]`);
  }
  if (begin > end) throw new InvalidSafetensorsError(`${field}.data_offsets`, `begin ${begin} is after end ${end}`);
  if (end > dataLength) {
    throw new InvalidSafetensorsError(`${field}.data_offsets`, `end ${end} is past the data section (${dataLength} bytes)`);
  }
  if (end - begin !== elements * elementBytes) {
    throw new InvalidSafetensorsError(
      `${field}.data_offsets`,
      `span ${end - begin} bytes, but shape [${shape.join(',')}] of ${dtype} needs ${elements * elementBytes}`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], begin, end };
}

/**
 * Element count of `shape`, or undefined when it exceeds `maxElements`. Checked after every
 * multiplication so a hostile shape like [2^40, 2^40] cannot overflow into a small number.
 */
function countElements(shape: readonly number[], maxElements: number): number | undefined {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > maxElements) return undefined;
  }
  return n;
}

/** The tensors must tile [0, dataLength) exactly: sorted by offset, each begins where the last ended. */
function checkTiling(entries: HeaderEntry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    const field = `header${keyPath(e.name)}.data_offsets`;
    if (e.begin < cursor) throw new InvalidSafetensorsError(field, `[${e.begin}, ${e.end}] overlaps another tensor (which ends at ${cursor})`);
    if (e.begin > cursor) throw new InvalidSafetensorsError(field, `[${e.begin}, ${e.end}] leaves a hole: bytes ${cursor}..${e.begin} belong to no tensor`);
    cursor = e.end;
  }
  if (cursor !== dataLength) {
    throw new InvalidSafetensorsError('data section', `has ${dataLength - cursor} trailing bytes that belong to no tensor`);
  }
}

/** Typed view (aligned, little-endian host) or a copy (unaligned, `copy`, or big-endian host). */
function viewElements(dtype: SafetensorsDtype, raw: Uint8Array, copy: boolean): SafetensorsData {
  const size = SAFETENSORS_DTYPE_BYTES[dtype];
  const count = raw.length / size;
  if (!LITTLE_ENDIAN_HOST) return decodeLittleEndian(dtype, raw, count);
  const source = copy || raw.byteOffset % size !== 0 ? raw.slice() : raw;
  const { buffer, byteOffset } = source;
  switch (dtype) {
    case 'F64': return new Float64Array(buffer, byteOffset, count);
    case 'F32': return new Float32Array(buffer, byteOffset, count);
    case 'I32': return new Int32Array(buffer, byteOffset, count);
    case 'U32': return new Uint32Array(buffer, byteOffset, count);
    case 'I16': return new Int16Array(buffer, byteOffset, count);
    case 'F16': case 'BF16': case 'U16': return new Uint16Array(buffer, byteOffset, count);
    case 'I8': return new Int8Array(buffer, byteOffset, count);
    case 'U8': case 'BOOL': return new Uint8Array(buffer, byteOffset, count);
  }
}

/** Portable slow path for big-endian hosts: read each element through a DataView. */
function decodeLittleEndian(dtype: SafetensorsDtype, raw: Uint8Array, count: number): SafetensorsData {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const fill = <T extends SafetensorsData>(out: T, read: (i: number) => number): T => {
    for (let i = 0; i < count; i++) out[i] = read(i);
    return out;
  };
  switch (dtype) {
    case 'F64': return fill(new Float64Array(count), (i) => view.getFloat64(i * 8, true));
    case 'F32': return fill(new Float32Array(count), (i) => view.getFloat32(i * 4, true));
    case 'I32': return fill(new Int32Array(count), (i) => view.getInt32(i * 4, true));
    case 'U32': return fill(new Uint32Array(count), (i) => view.getUint32(i * 4, true));
    case 'I16': return fill(new Int16Array(count), (i) => view.getInt16(i * 2, true));
    case 'F16': case 'BF16': case 'U16': return fill(new Uint16Array(count), (i) => view.getUint16(i * 2, true));
    case 'I8': return fill(new Int8Array(count), (i) => view.getInt8(i));
    case 'U8': case 'BOOL': return raw.slice();
  }
}

function checkBooleans(name: string, data: Uint8Array): void {
  const bad = data.findIndex((v) => v > 1);
  if (bad >= 0) throw new InvalidSafetensorsError(`tensor${keyPath(name)}[${bad}]`, `is ${data[bad]}, but BOOL elements must be 0 or 1`);
}

// ---------------------------------------------------------------------------------------------
// Writer

/** What {@link writeSafetensors} accepts for one tensor: the typed array must match the dtype. */
export type SafetensorsInput = Record<string, SafetensorsTensor> | ReadonlyMap<string, SafetensorsTensor>;

const EXPECTED_ARRAY: Record<SafetensorsDtype, string> = {
  F64: 'Float64Array', F32: 'Float32Array', F16: 'Uint16Array', BF16: 'Uint16Array', I32: 'Int32Array',
  I16: 'Int16Array', I8: 'Int8Array', U32: 'Uint32Array', U16: 'Uint16Array', U8: 'Uint8Array', BOOL: 'Uint8Array',
};

/**
 * Serialises tensors to safetensors bytes. Tensors are laid out widest dtype first (then by name),
 * and the header is padded with spaces to a multiple of 8, so every tensor lands aligned and a
 * reader can view it without copying. F16/BF16 data is given as raw bits in a Uint16Array
 * (see {@link float32ToFloat16Bits}, {@link float32ToBFloat16Bits}).
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors(
 *   { 'fc.weight': { dtype: 'F16', shape: [3], data: float32ToFloat16Bits(new Float32Array([1, 2, 3])) } },
 *   { source: 'example' },
 * );
 * ```
 */
export function writeSafetensors(tensors: SafetensorsInput, metadata: Record<string, string> = {}): Uint8Array {
  const list = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))] as [string, SafetensorsTensor][];
  for (const [name, t] of list) checkWritable(name, t);
  list.sort(([na, a], [nb, b]) =>
    SAFETENSORS_DTYPE_BYTES[b.dtype] - SAFETENSORS_DTYPE_BYTES[a.dtype] || (na < nb ? -1 : na > nb ? 1 : 0));

  // Built by hand rather than through an object, so a tensor named "__proto__" stays a plain key.
  const parts: string[] = [];
  const metaEntries = Object.entries(metadata);
  for (const [k, v] of metaEntries) {
    if (typeof v !== 'string') throw new TypeError(`writeSafetensors metadata${keyPath(k)} must be a string`);
  }
  if (metaEntries.length > 0) {
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of list) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil((HEADER_LENGTH_BYTES + json.length) / 8) * 8 - HEADER_LENGTH_BYTES;

  const out = new Uint8Array(HEADER_LENGTH_BYTES + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, HEADER_LENGTH_BYTES);
  out.fill(0x20, HEADER_LENGTH_BYTES + json.length, HEADER_LENGTH_BYTES + headerLength);
  let cursor = HEADER_LENGTH_BYTES + headerLength;
  for (const [, t] of list) {
    writeLittleEndian(t, out, cursor);
    cursor += t.data.byteLength;
  }
  return out;
}

function checkWritable(name: string, t: SafetensorsTensor): void {
  const field = `writeSafetensors tensor${keyPath(name)}`;
  if (name.length === 0 || name === METADATA_KEY) throw new TypeError(`${field}: invalid tensor name`);
  if (!hasOwn(SAFETENSORS_DTYPE_BYTES, t.dtype)) throw new TypeError(`${field}: unknown dtype ${String(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegativeInt)) throw new TypeError(`${field}: shape must be non-negative integers`);
  const expected = EXPECTED_ARRAY[t.dtype];
  if (!ArrayBuffer.isView(t.data) || t.data.constructor.name !== expected) {
    throw new TypeError(`${field}: ${t.dtype} data must be a ${expected}, got ${describe(t.data)}`);
  }
  const elements = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== elements) {
    throw new TypeError(`${field}: shape [${t.shape.join(',')}] has ${elements} elements but data has ${t.data.length}`);
  }
}

function writeLittleEndian(t: SafetensorsTensor, out: Uint8Array, at: number): void {
  const { data } = t;
  if (LITTLE_ENDIAN_HOST || SAFETENSORS_DTYPE_BYTES[t.dtype] === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    switch (t.dtype) {
      case 'F64': view.setFloat64(i * 8, v, true); break;
      case 'F32': view.setFloat32(i * 4, v, true); break;
      case 'I32': view.setInt32(i * 4, v, true); break;
      case 'U32': view.setUint32(i * 4, v, true); break;
      case 'I16': view.setInt16(i * 2, v, true); break;
      default: view.setUint16(i * 2, v, true);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Half-precision conversions (the GPUs here lack shader-f16, so half weights compute as f32).

let f16Table: Float32Array | undefined;

/** Decodes IEEE binary16 bit patterns to Float32 (exact: every half is a float). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const table = (f16Table ??= buildFloat16Table());
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] as number] as number;
  return out;
}

function buildFloat16Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) table[h] = sign * fraction * 2 ** -24;
    else if (exponent === 31) table[h] = fraction === 0 ? sign * Infinity : NaN;
    else table[h] = sign * (1024 + fraction) * 2 ** (exponent - 25);
  }
  return table;
}

/** Decodes bfloat16 bit patterns to Float32 (exact: bf16 is the top half of a float). */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = (bits[i] as number) << 16;
  return new Float32Array(out.buffer);
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Encodes Float32 values as IEEE binary16 bits, rounding to nearest even (overflow gives ±Inf). */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i] as number);
  return out;
}

function floatToHalf(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 | (mantissa >>> 13) : 0);
  const e = exponent - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m * 2^-24, m = (1.mantissa) * 2^(e - 14) in units of the f32 mantissa.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (m & 1) === 1)) m++;
    return sign | m; // a carry into bit 10 correctly becomes the smallest normal
  }
  let h = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may round up to Inf: correct
  return sign | h;
}

/** Encodes Float32 values as bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function float32ToBFloat16Bits(values: Float32Array): Uint16Array {
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = u32[i] as number;
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;
    else out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/**
 * A tensor's elements as Float32Array for compute: F32 is returned as is (possibly a view into
 * the file), F16/BF16 are decoded exactly, other dtypes are converted value by value.
 *
 * @example
 * ```ts
 * const weights = tensorToFloat32(parseSafetensors(bytes).tensors.get('fc1.weight')!);
 * ```
 */
export function tensorToFloat32(tensor: SafetensorsTensor): Float32Array {
  switch (tensor.dtype) {
    case 'F32': return tensor.data as Float32Array;
    case 'F16': return float16BitsToFloat32(tensor.data as Uint16Array);
    case 'BF16': return bfloat16BitsToFloat32(tensor.data as Uint16Array);
    default: return Float32Array.from(tensor.data as ArrayLike<number>);
  }
}
