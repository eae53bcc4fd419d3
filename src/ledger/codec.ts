/**
 * A strict binary codec for the ledger's wire messages (transport-agnostic: the bytes go in a
 * gossip message's data or a request/response frame). Fixed-width big-endian fields, no
 * padding, no optional encodings: a value has exactly one encoding, so a decoder refuses
 * truncation, trailing bytes, out-of-range numbers and non-canonical flags, naming the field.
 *
 * @example
 * const w = new Writer(64); w.u8(1); w.address('0x…'); const bytes = w.finish();
 * const r = new Reader(bytes, 'msg'); r.u8('tag'); r.address('requester'); r.end();
 */
import { bytesToBigInt, bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import { u256Bytes } from './assert.ts';
import { DecodeError, EncodeError } from './errors.ts';

export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  constructor(readonly max: number) {
    this.#buf = new Uint8Array(Math.min(max, 1024));
    this.#view = new DataView(this.#buf.buffer);
  }
  #room(n: number, field: string): number {
    if (this.#pos + n > this.max) throw new EncodeError(field, `message would exceed its limit of ${this.max} bytes`);
    if (this.#pos + n > this.#buf.length) {
      const next = new Uint8Array(Math.min(this.max, Math.max(this.#buf.length * 2, this.#pos + n)));
      next.set(this.#buf);
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
  u8(v: number, field = 'u8'): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new EncodeError(field, `must be a u8, got ${v}`);
    const at = this.#room(1, field);
    this.#view.setUint8(at, v);
  }
  u16(v: number, field = 'u16'): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new EncodeError(field, `must be a u16, got ${v}`);
    const at = this.#room(2, field);
    this.#view.setUint16(at, v);
  }
  u32(v: number, field = 'u32'): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(field, `must be a u32, got ${v}`);
    const at = this.#room(4, field);
    this.#view.setUint32(at, v);
  }
  u64(v: bigint, field = 'u64'): void {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw new EncodeError(field, `must be a u64, got ${v}`);
    const at = this.#room(8, field);
    this.#view.setBigUint64(at, v);
  }
  u256(v: bigint, field = 'u256'): void {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 256n) throw new EncodeError(field, `must be a uint256, got ${v}`);
    const at = this.#room(32, field); // may grow #buf: take the offset before reading it
    u256Bytes(v, this.#buf, at);
  }
  raw(b: Uint8Array, length: number, field: string): void {
    if (!(b instanceof Uint8Array) || b.length !== length) throw new EncodeError(field, `must be ${length} bytes`);
    const at = this.#room(length, field);
    this.#buf.set(b, at);
  }
  hexFixed(h: string, length: number, field: string): void {
    if (typeof h !== 'string' || h.length !== 2 + 2 * length || !/^0x[0-9a-fA-F]*$/.test(h)) throw new EncodeError(field, `must be 0x + ${2 * length} hex digits`);
    this.raw(hexToBytes(h as Hex), length, field);
  }
  address(a: string, field = 'address'): void {
    this.hexFixed(a, 20, field);
  }
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

export class Reader {
  readonly #b: Uint8Array;
  readonly #view: DataView;
  #pos = 0;
  constructor(
    bytes: Uint8Array,
    readonly prefix: string,
  ) {
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(prefix, 'must be a Uint8Array');
    this.#b = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#b.length - this.#pos;
  }
  #take(n: number, field: string): number {
    if (this.#pos + n > this.#b.length) throw new DecodeError(`${this.prefix}.${field}`, `truncated: needs ${n} bytes, ${this.#b.length - this.#pos} left`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
  u8(field: string, min = 0, max = 0xff): number {
    return this.#range(this.#view.getUint8(this.#take(1, field)), field, min, max);
  }
  u16(field: string, min = 0, max = 0xffff): number {
    return this.#range(this.#view.getUint16(this.#take(2, field)), field, min, max);
  }
  u32(field: string, min = 0, max = 0xffffffff): number {
    return this.#range(this.#view.getUint32(this.#take(4, field)), field, min, max);
  }
  #range(v: number, field: string, min: number, max: number): number {
    if (v < min || v > max) throw new DecodeError(`${this.prefix}.${field}`, `${v} is outside [${min}, ${max}]`);
    return v;
  }
  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#take(8, field));
  }
  u256(field: string): bigint {
    const at = this.#take(32, field);
    return bytesToBigInt(this.#b.subarray(at, at + 32));
  }
  raw(length: number, field: string): Uint8Array {
    const at = this.#take(length, field);
    return this.#b.slice(at, at + length);
  }
  hex(length: number, field: string): Hex {
    return bytesToHex(this.raw(length, field));
  }
  address(field: string): Address {
    return this.hex(20, field) as Address;
  }
  /** Flags byte: only the bits in `allowed` may be set. */
  flags(field: string, allowed: number): number {
    const v = this.u8(field);
    if (v & ~allowed) throw new DecodeError(`${this.prefix}.${field}`, `has unknown bits set (0x${v.toString(16)})`);
    return v;
  }
  end(): void {
    if (this.#pos !== this.#b.length) throw new DecodeError(this.prefix, `${this.#b.length - this.#pos} trailing byte(s)`);
  }
}
