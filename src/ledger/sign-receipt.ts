/**
 * Signs a receipt as its requester: 65 bytes `r ‖ s ‖ v`, low s, v ∈ {27, 28}.
 *
 * @example
 * const sig = signReceipt({ requester: addr, worker, cumulativeAmount: 10n, cumulativeWork: 1n }, domain, secretKey);
 * sig.length; // 65
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { assertBytes } from './assert.ts';
import { receiptDigestBytes } from './receipt-digest.ts';
import type { Receipt, ReceiptDomain } from './receipt.ts';

export type SignReceiptParameters = [receipt: Receipt, domain: ReceiptDomain, secretKey: Uint8Array];
export type SignReceiptReturnType = Uint8Array;

/** Signs a 32-byte digest with no prehash: Ethereum `r ‖ s ‖ v` (v = 27 + recovery), low s. */
export function signDigest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(digest, 32, 'digest');
  assertBytes(secretKey, 32, 'secretKey');
  const rec = secp256k1.sign(digest, secretKey, { prehash: false, lowS: true, format: 'recovered' });
  const out = new Uint8Array(65);
  out.set(rec.subarray(1, 65), 0);
  out[64] = 27 + (rec[0] as number);
  return out;
}

export function signReceipt(...[receipt, domain, secretKey]: SignReceiptParameters): SignReceiptReturnType {
  return signDigest(receiptDigestBytes(receipt, domain), secretKey);
}
