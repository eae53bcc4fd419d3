/**
 * A small, strict binary codec for mesh messages.
 *
 * A schema is an ordered list of named fields; a message is its fields written back to back with
 * no tags or padding (the order is the schema's). Every field type has a bounded size, so a
 * schema has a computable maximum encoded size, and decoding never allocates more than the
 * bytes actually received. Decoding is strict: a short buffer, a length past the field's limit,
 * invalid UTF-8, a non-canonical boolean, a number out of range or trailing bytes all throw
 * {@link MessageDecodeError} naming the field. Encoding validates the JS value first and throws
 * {@link MessageEncodeError} naming the field, so a bad message never leaves this tab.
 *
 * Wire types (all integers big-endian):
 * | field        | bytes                     | JS value                          |
 * |--------------|---------------------------|-----------------------------------|
 * | `u8`         | 1                         | number                            |
 * | `u16`        | 2                         | number                            |
 * | `u32`        | 4                         | number                            |
 * | `uint`       | 8 (u64, ≤ 2^53-1)         | number (safe integer)             |
 * | `u64`        | 8                         | bigint (token amounts)            |
 * | `f64`        | 8 (IEEE 754, finite)      | number                            |
 * | `bool`       | 1 (0 or 1 only)           | boolean                           |
 * | `str(max)`   | u32 length + UTF-8        | string (max in bytes)             |
 * | `bytes(max)` | u32 length + raw          | Uint8Array                        |
 * | `hash`       | 32 raw                    | 64-char lowercase hex (sha-256)   |
 * | `address`    | 20 raw                    | `0x` + 40 lowercase hex           |
 * | `list(t,max)`| u32 count + items         | array                             |
 *
 * @example
 * const Ping = schema({ seq: t.u32(), note: t.str(64) });
 * const bytes = encode(Ping, { seq: 1, note: 'hi' }, 'ping');
 * decode(Ping, bytes, 'ping'); // → { seq: 1, note: 'hi' }
 */
import { MessageDecodeError, MessageEncodeError } from './errors.ts';

/** Reads a buffer front to back; every read checks the remaining length first. */
export class Reader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  #pos = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#bytes.byteLength - this.#pos;
  }
  #need(n: number, field: string): number {
    if (n > this.remaining) throw new MessageDecodeError(field, `needs ${n} bytes but only ${this.remaining} remain (truncated)`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
  u8(field: string): number {
    return this.#view.getUint8(this.#need(1, field));
  }
  u16(field: string): number {
    return this.#view.getUint16(this.#need(2, field));
  }
  u32(field: string): number {
    return this.#view.getUint32(this.#need(4, field));
  }
  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#need(8, field));
  }
  f64(field: string): number {
    return this.#view.getFloat64(this.#need(8, field));
  }
  /** A view (not a copy) of the next `n` bytes. */
  raw(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.subarray(at, at + n);
  }
}

/** Writes into a buffer sized in advance from the schema. */
export class Writer {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }
  get length(): number {
    return this.#pos;
  }
  u8(v: number): void {
    this.#view.setUint8(this.#pos, v);
    this.#pos += 1;
  }
  u16(v: number): void {
    this.#view.setUint16(this.#pos, v);
    this.#pos += 2;
  }
  u32(v: number): void {
    this.#view.setUint32(this.#pos, v);
    this.#pos += 4;
  }
  u64(v: bigint): void {
    this.#view.setBigUint64(this.#pos, v);
    this.#pos += 8;
  }
  f64(v: number): void {
    this.#view.setFloat64(this.#pos, v);
    this.#pos += 8;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.#pos);
    this.#pos += b.byteLength;
  }
}

/** One field type: how to size, check, write and read a value of type T. */
export interface FieldType<T> {
  readonly kind: string;
  /** Largest encoding of any valid value. */
  readonly maxBytes: number;
  /** Throws MessageEncodeError naming `field` unless `v` is a valid T; returns its encoded size. */
  check(v: unknown, field: string): number;
  write(w: Writer, v: T): void;
  read(r: Reader, field: string): T;
}

const utf8 = new TextEncoder();
// fatal: invalid UTF-8 from the network is an error, not silently replaced with U+FFFD.
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x];
  return s;
}
function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function intType(kind: string, bytes: number, max: number, min: number, read: (r: Reader, f: string) => number, write: (w: Writer, v: number) => void): FieldType<number> {
  return {
    kind,
    maxBytes: bytes,
    check(v, field) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new MessageEncodeError(field, `must be an integer in [${min}, ${max}], got ${String(v)}`);
      return bytes;
    },
    write,
    read(r, field) {
      const v = read(r, field);
      if (v < min || v > max) throw new MessageDecodeError(field, `is ${v}, outside [${min}, ${max}]`);
      return v;
    },
  };
}

const MAX_U32 = 0xffff_ffff;

/** Field type constructors. Integer types take an optional inclusive range. */
export const t = {
  u8: (o: { min?: number; max?: number } = {}): FieldType<number> => intType('u8', 1, o.max ?? 0xff, o.min ?? 0, (r, f) => r.u8(f), (w, v) => w.u8(v)),
  u16: (o: { min?: number; max?: number } = {}): FieldType<number> => intType('u16', 2, o.max ?? 0xffff, o.min ?? 0, (r, f) => r.u16(f), (w, v) => w.u16(v)),
  u32: (o: { min?: number; max?: number } = {}): FieldType<number> => intType('u32', 4, o.max ?? MAX_U32, o.min ?? 0, (r, f) => r.u32(f), (w, v) => w.u32(v)),
  /** A non-negative safe integer (timestamps in ms, byte counts) carried as u64. */
  uint: (o: { min?: number; max?: number } = {}): FieldType<number> =>
    intType(
      'uint',
      8,
      o.max ?? Number.MAX_SAFE_INTEGER,
      o.min ?? 0,
      (r, f) => {
        const v = r.u64(f);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MessageDecodeError(f, `is ${v}, beyond 2^53-1`);
        return Number(v);
      },
      (w, v) => w.u64(BigInt(v)),
    ),
  /** An unsigned 64-bit amount (token base units), as bigint. */
  u64: (): FieldType<bigint> => ({
    kind: 'u64',
    maxBytes: 8,
    check(v, field) {
      if (typeof v !== 'bigint' || v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new MessageEncodeError(field, `must be a bigint in [0, 2^64-1], got ${typeof v === 'bigint' ? v : typeof v}`);
      return 8;
    },
    write: (w, v) => w.u64(v),
    read: (r, f) => r.u64(f),
  }),
  /** A finite float in [min, max]. */
  f64: (o: { min?: number; max?: number } = {}): FieldType<number> => {
    const min = o.min ?? -Number.MAX_VALUE;
    const max = o.max ?? Number.MAX_VALUE;
    return {
      kind: 'f64',
      maxBytes: 8,
      check(v, field) {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new MessageEncodeError(field, `must be a finite number in [${min}, ${max}], got ${String(v)}`);
        return 8;
      },
      write: (w, v) => w.f64(v),
      read(r, field) {
        const v = r.f64(field);
        if (!Number.isFinite(v) || v < min || v > max) throw new MessageDecodeError(field, `is ${v}, not a finite number in [${min}, ${max}]`);
        return v;
      },
    };
  },
  bool: (): FieldType<boolean> => ({
    kind: 'bool',
    maxBytes: 1,
    check(v, field) {
      if (typeof v !== 'boolean') throw new MessageEncodeError(field, `must be a boolean, got ${typeof v}`);
      return 1;
    },
    write: (w, v) => w.u8(v ? 1 : 0),
    read(r, field) {
      const b = r.u8(field);
      // Only 0 and 1 are canonical: one value, one encoding (hashes and signatures rely on it).
      if (b > 1) throw new MessageDecodeError(field, `is byte ${b}, a boolean must be 0 or 1`);
      return b === 1;
    },
  }),
  /** A UTF-8 string of at most `max` bytes, optionally matching `pattern`. */
  str: (max: number, pattern?: RegExp): FieldType<string> => ({
    kind: 'str',
    maxBytes: 4 + max,
    check(v, field) {
      if (typeof v !== 'string') throw new MessageEncodeError(field, `must be a string, got ${typeof v}`);
      const n = utf8.encode(v).byteLength;
      if (n > max) throw new MessageEncodeError(field, `is ${n} bytes of UTF-8, more than ${max}`);
      if (pattern && !pattern.test(v)) throw new MessageEncodeError(field, `must match ${pattern}`);
      return 4 + n;
    },
    write(w, v) {
      const b = utf8.encode(v);
      w.u32(b.byteLength);
      w.raw(b);
    },
    read(r, field) {
      const n = r.u32(field);
      if (n > max) throw new MessageDecodeError(field, `declares ${n} bytes, more than ${max}`);
      let s: string;
      try {
        s = utf8Strict.decode(r.raw(n, field));
      } catch (e) {
        if (e instanceof MessageDecodeError) throw e;
        throw new MessageDecodeError(field, 'is not valid UTF-8');
      }
      if (pattern && !pattern.test(s)) throw new MessageDecodeError(field, `does not match ${pattern}`);
      return s;
    },
  }),
  /** Raw bytes, at most `max`. Decoding returns a copy, so the message owns its data. */
  bytes: (max: number): FieldType<Uint8Array> => ({
    kind: 'bytes',
    maxBytes: 4 + max,
    check(v, field) {
      if (!(v instanceof Uint8Array)) throw new MessageEncodeError(field, `must be a Uint8Array, got ${v === null ? 'null' : typeof v}`);
      if (v.byteLength > max) throw new MessageEncodeError(field, `is ${v.byteLength} bytes, more than ${max}`);
      return 4 + v.byteLength;
    },
    write(w, v) {
      w.u32(v.byteLength);
      w.raw(v);
    },
    read(r, field) {
      const n = r.u32(field);
      if (n > max) throw new MessageDecodeError(field, `declares ${n} bytes, more than ${max}`);
      return r.raw(n, field).slice();
    },
  }),
  /** A sha-256 digest: 32 bytes on the wire, 64 lowercase hex characters in JS. */
  hash: (): FieldType<string> => ({
    kind: 'hash',
    maxBytes: 32,
    check(v, field) {
      if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new MessageEncodeError(field, 'must be a 64-character lowercase hex sha-256');
      return 32;
    },
    write: (w, v) => w.raw(fromHex(v)),
    read: (r, field) => toHex(r.raw(32, field)),
  }),
  /** A 20-byte account address: `0x` + 40 lowercase hex in JS. */
  address: (): FieldType<string> => ({
    kind: 'address',
    maxBytes: 20,
    check(v, field) {
      if (typeof v !== 'string' || !/^0x[0-9a-f]{40}$/.test(v)) throw new MessageEncodeError(field, "must be '0x' followed by 40 lowercase hex characters");
      return 20;
    },
    write: (w, v) => w.raw(fromHex(v.slice(2))),
    read: (r, field) => '0x' + toHex(r.raw(20, field)),
  }),
  /** A list of at most `max` items. */
  list: <T>(item: FieldType<T>, max: number): FieldType<T[]> => ({
    kind: 'list',
    maxBytes: 4 + max * item.maxBytes,
    check(v, field) {
      if (!Array.isArray(v)) throw new MessageEncodeError(field, 'must be an array');
      if (v.length > max) throw new MessageEncodeError(field, `has ${v.length} items, more than ${max}`);
      let n = 4;
      v.forEach((x, i) => (n += item.check(x, `${field}[${i}]`)));
      return n;
    },
    write(w, v) {
      w.u32(v.length);
      for (const x of v) item.write(w, x);
    },
    read(r, field) {
      const n = r.u32(field);
      if (n > max) throw new MessageDecodeError(field, `declares ${n} items, more than ${max}`);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(item.read(r, `${field}[${i}]`));
      return out;
    },
  }),
};

/** An ordered record of fields. */
export type Fields = Record<string, FieldType<unknown>>;
/** The JS type a schema decodes to. */
export type Infer<S extends Schema<Fields>> = S extends Schema<infer F> ? { [K in keyof F]: F[K] extends FieldType<infer T> ? T : never } : never;

export interface Schema<F extends Fields> {
  readonly fields: F;
  /** Largest encoding of any valid message. */
  readonly maxBytes: number;
}

/** Declares a schema; field order is wire order. */
export function schema<F extends Fields>(fields: F): Schema<F> {
  let maxBytes = 0;
  for (const f of Object.values(fields)) maxBytes += f.maxBytes;
  return { fields, maxBytes };
}

/**
 * Validates and encodes `msg`. Unknown extra properties are an error too: they would be silently
 * dropped otherwise, and a caller relying on them has a bug.
 */
export function encode<F extends Fields>(s: Schema<F>, msg: unknown, what: string, prefix?: number): Uint8Array {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new MessageEncodeError(what, 'must be an object');
  const m = msg as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!(k in s.fields)) throw new MessageEncodeError(`${what}.${k}`, 'is not a field of this message');
  let size = prefix === undefined ? 0 : 1;
  for (const [k, f] of Object.entries(s.fields)) size += f.check(m[k], `${what}.${k}`);
  const w = new Writer(size);
  if (prefix !== undefined) w.u8(prefix);
  for (const [k, f] of Object.entries(s.fields)) f.write(w, m[k]);
  return w.bytes;
}

/** Decodes a whole buffer; throws MessageDecodeError naming the field, including for trailing bytes. */
export function decodeFrom<F extends Fields>(s: Schema<F>, r: Reader, what: string): Infer<Schema<F>> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(s.fields)) out[k] = f.read(r, `${what}.${k}`);
  if (r.remaining !== 0) throw new MessageDecodeError(what, `has ${r.remaining} trailing bytes`);
  return out as Infer<Schema<F>>;
}

/** Decodes `bytes` as one message of schema `s`. */
export function decode<F extends Fields>(s: Schema<F>, bytes: Uint8Array, what: string): Infer<Schema<F>> {
  return decodeFrom(s, new Reader(bytes), what);
}

export { toHex, fromHex };
