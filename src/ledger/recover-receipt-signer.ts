/**
 * Recovers the address that signed a receipt. Refuses exactly the signatures `ecrecover` plus
 * the contract's low-s rule refuse: not 65 bytes, v ∉ {27, 28}, s = 0 or s > n/2, r or s not a
 * scalar, or no public key recovered.
 *
 * @example
 * recoverReceiptSigner(receipt, domain, sig) === receipt.requester; // true for a good receipt
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToBigInt, hexToBytes, type Address, type Hex } from 'viem';
import { addressOf } from '../jobs/claim.ts';
import { assertBytes, assertHex } from './assert.ts';
import { HighSSignatureError, MalformedSignatureError } from './errors.ts';
import { receiptDigestBytes } from './receipt-digest.ts';
import type { Receipt, ReceiptDomain } from './receipt.ts';

export type RecoverReceiptSignerParameters = [receipt: Receipt, domain: ReceiptDomain, signature: Uint8Array | Hex];
export type RecoverReceiptSignerReturnType = Address;

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;

/** 65-byte signature from bytes or hex, checked for shape (length, v, r, low s). */
export function parseSignature(signature: Uint8Array | Hex | string, field = 'signature'): Uint8Array {
  const sig = typeof signature === 'string' ? hexToBytes(assertHex(signature, field)) : assertBytes(signature, undefined, field);
  if (sig.length !== 65) throw new MalformedSignatureError(field, `must be 65 bytes (r ‖ s ‖ v), got ${sig.length}`);
  const v = sig[64] as number;
  if (v !== 27 && v !== 28) throw new MalformedSignatureError(`${field}.v`, `must be 27 or 28, got ${v}`);
  const r = bytesToBigInt(sig.subarray(0, 32));
  if (r === 0n || r >= N) throw new MalformedSignatureError(`${field}.r`, 'must be in [1, n - 1]');
  const s = bytesToBigInt(sig.subarray(32, 64));
  if (s === 0n) throw new MalformedSignatureError(`${field}.s`, 'must not be zero');
  if (s > HALF_N) throw new HighSSignatureError(`${field}.s`, 'must be at most n/2 (low-s form)');
  return sig;
}

/** Address (lowercase) of an uncompressed (65-byte) or compressed (33-byte) public key: src/jobs/claim.ts `addressOf`. */
export const publicKeyToAddress = (publicKey: Uint8Array): Address => addressOf(publicKey) as Address;

/** Recovers the signer of a 32-byte digest (no prehash) from an r ‖ s ‖ v signature. */
export function recoverDigestSigner(digest: Uint8Array, signature: Uint8Array | Hex | string, field = 'signature'): Address {
  const sig = parseSignature(signature, field);
  const rec = new Uint8Array(65);
  rec[0] = (sig[64] as number) - 27;
  rec.set(sig.subarray(0, 64), 1);
  let pub: Uint8Array;
  try {
    pub = secp256k1.recoverPublicKey(rec, digest, { prehash: false });
  } catch (e) {
    throw new MalformedSignatureError(field, `does not recover a public key (${(e as Error).message})`);
  }
  return publicKeyToAddress(pub);
}

export function recoverReceiptSigner(...[receipt, domain, signature]: RecoverReceiptSignerParameters): RecoverReceiptSignerReturnType {
  return recoverDigestSigner(receiptDigestBytes(receipt, domain), signature);
}
