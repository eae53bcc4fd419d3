/**
 * Test and benchmark helpers (not used by the app): deterministic keys, a domain, and receipt
 * signing for a requester.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, type Address } from 'viem';
import type { ReceiptSigner } from './ledger.ts';
import { receiptDomain, type ReceiptDomain, type SignedReceipt } from './receipt.ts';
import { publicKeyToAddress } from './recover-receipt-signer.ts';
import { signDigest, signReceipt } from './sign-receipt.ts';

export const TEST_CONTRACT = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Address;
export const TEST_DOMAIN: ReceiptDomain = receiptDomain(31337n, TEST_CONTRACT);
export const MESH = 10n ** 18n;
/** A price inside the default bounds: 0.01 MESH per unit of work. */
export const PRICE = 10n ** 16n;

export interface TestKey extends ReceiptSigner {
  secretKey: Uint8Array;
}

export function testKey(seed: string): TestKey {
  const secretKey = keccak_256(new TextEncoder().encode(`tabmesh-test/${seed}`));
  const address = publicKeyToAddress(secp256k1.getPublicKey(secretKey, false));
  return { secretKey, address, signDigest: (d) => signDigest(d, secretKey) };
}

export function signedReceipt(requester: TestKey, worker: Address, cumulativeAmount: bigint, cumulativeWork: bigint, domain: ReceiptDomain = TEST_DOMAIN): SignedReceipt {
  const r = { requester: requester.address, worker, cumulativeAmount, cumulativeWork };
  return { ...r, chainId: domain.chainId, verifyingContract: domain.verifyingContract, signature: bytesToHex(signReceipt(r, domain, requester.secretKey)) };
}
