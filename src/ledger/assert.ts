/**
 * Assertion helpers for trust boundaries (noble style): each checks one value, names the field in
 * its error, and returns the value normalised (addresses and hex lowercased).
 *
 * @example
 * const sig = assertBytes(input.signature, 65, 'receipt.signature');
 * const worker = assertAddress(input.worker, 'receipt.worker'); // '0x…' lowercase
 */
import type { Address, Hex } from 'viem';
import { AmountOutOfRangeError, InvalidFieldError } from './errors.ts';

export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_UINT64 = (1n << 64n) - 1n;

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HEX32_RE = /^0x[0-9a-fA-F]{64}$/;
const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/;

/** A Uint8Array of exactly `length` bytes (any length when omitted). */
export function assertBytes(value: unknown, length: number | undefined, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidFieldError(field, `must be a Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) throw new InvalidFieldError(field, `must be ${length} bytes, got ${value.length}`);
  return value;
}

/** A 20-byte hex address; returned lowercase. */
export function assertAddress(value: unknown, field: string): Address {
  if (typeof value !== 'string' || !ADDRESS_RE.test(value)) throw new InvalidFieldError(field, `must be a 0x-prefixed 20-byte hex address, got ${describe(value)}`);
  return value.toLowerCase() as Address;
}

/** A 0x-prefixed 32-byte hex value; returned lowercase. */
export function assertHex32(value: unknown, field: string): Hex {
  if (typeof value !== 'string' || !HEX32_RE.test(value)) throw new InvalidFieldError(field, `must be 0x-prefixed 32-byte hex, got ${describe(value)}`);
  return value.toLowerCase() as Hex;
}

/** A 0x-prefixed hex byte string of any (even) length; returned lowercase. */
export function assertHex(value: unknown, field: string): Hex {
  if (typeof value !== 'string' || !HEX_RE.test(value)) throw new InvalidFieldError(field, `must be 0x-prefixed hex bytes, got ${describe(value)}`);
  return value.toLowerCase() as Hex;
}

/** A bigint in [0, 2^256 - 1]. */
export function assertUint256(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint') throw new InvalidFieldError(field, `must be a bigint, got ${describe(value)}`);
  if (value < 0n || value > MAX_UINT256) throw new AmountOutOfRangeError(field, `must be a uint256, got ${value}`);
  return value;
}

/** A chain id: a positive integer (number or bigint) that fits a uint64; returned as bigint. */
export function assertChainId(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) value = BigInt(value);
  if (typeof value !== 'bigint') throw new InvalidFieldError(field, `must be an integer, got ${describe(value)}`);
  if (value <= 0n || value > MAX_UINT64) throw new InvalidFieldError(field, `must be in [1, 2^64 - 1], got ${value}`);
  return value;
}

/** A non-negative safe integer at most `max`. */
export function assertIndex(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) throw new InvalidFieldError(field, `must be an integer in [0, ${max}], got ${describe(value)}`);
  return value;
}

/** A string of at most `maxLength` UTF-16 units. */
export function assertString(value: unknown, field: string, maxLength = 1024): string {
  if (typeof value !== 'string') throw new InvalidFieldError(field, `must be a string, got ${describe(value)}`);
  if (value.length === 0 || value.length > maxLength) throw new InvalidFieldError(field, `must be 1..${maxLength} characters, got ${value.length}`);
  return value;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return v.length > 80 ? `a ${v.length}-character string` : JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

// ---- byte helpers (hex <-> bytes: viem's bytesToHex / hexToBytes / bytesToBigInt) ----

/** Big-endian 32-byte word of a uint256, written into `out` at `offset`. */
export function u256Bytes(x: bigint, out: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  let v = x;
  for (let i = 31; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
