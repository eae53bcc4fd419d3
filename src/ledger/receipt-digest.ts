/**
 * The EIP-712 digest a receipt signature covers:
 * `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(receipt))`.
 *
 * The domain separator comes from viem's `hashDomain` (cached per domain); the struct hash is the
 * same encoding written out with noble's keccak (4 fixed-size words, no dynamic types), about 20×
 * faster than `hashTypedData` on the hot path. `receipt.test.ts` checks it equals viem's
 * `hashTypedData` on random receipts.
 *
 * @example
 * const digest = receiptDigest({ requester, worker, cumulativeAmount: 5n, cumulativeWork: 1n }, domain); // '0x…' (32 bytes)
 */
import { bytesToHex, hexToBytes, hashDomain, type Hex } from 'viem';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { u256Bytes } from './assert.ts';
import { RECEIPT_TYPE_STRING, parseDomain, parseReceipt, type Receipt, type ReceiptDomain } from './receipt.ts';

export type ReceiptDigestParameters = [receipt: Receipt, domain: ReceiptDomain];
export type ReceiptDigestReturnType = Hex;

const TYPE_HASH = keccak_256(new TextEncoder().encode(RECEIPT_TYPE_STRING));
const separators = new Map<string, Uint8Array>();

/** The domain separator (32 bytes), computed by viem once per domain. */
export function domainSeparator(domain: ReceiptDomain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let sep = separators.get(key);
  if (!sep) {
    const d = parseDomain(domain);
    sep = hexToBytes(
      hashDomain({
        domain: { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract },
        types: { EIP712Domain: [
          { name: 'name', type: 'string' },
          { name: 'version', type: 'string' },
          { name: 'chainId', type: 'uint256' },
          { name: 'verifyingContract', type: 'address' },
        ] },
      }),
    );
    if (separators.size > 64) separators.clear();
    separators.set(key, sep);
  }
  return sep;
}

/** `hashStruct(receipt)` as 32 bytes. The receipt must already be parsed. */
export function receiptStructHash(r: Receipt): Uint8Array {
  const buf = new Uint8Array(32 * 5);
  buf.set(TYPE_HASH, 0);
  buf.set(hexToBytes(r.requester), 32 + 12);
  buf.set(hexToBytes(r.worker), 64 + 12);
  u256Bytes(r.cumulativeAmount, buf, 96);
  u256Bytes(r.cumulativeWork, buf, 128);
  return keccak_256(buf);
}

/** The digest as 32 bytes (what secp256k1 signs, with prehash off). */
export function receiptDigestBytes(receipt: Receipt, domain: ReceiptDomain): Uint8Array {
  const buf = new Uint8Array(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.set(domainSeparator(domain), 2);
  buf.set(receiptStructHash(parseReceipt(receipt)), 34);
  return keccak_256(buf);
}

/** The digest as 0x-hex: also the receipt's Merkle leaf once settled. */
export function receiptDigest(...[receipt, domain]: ReceiptDigestParameters): ReceiptDigestReturnType {
  return bytesToHex(receiptDigestBytes(receipt, domain));
}
