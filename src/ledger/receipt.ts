/**
 * Receipt types (see RECEIPTS.md): a requester's signed statement "I owe `worker`
 * `cumulativeAmount` wei in total for `cumulativeWork` units of work in total", one per
 * (requester, worker) pair, superseded by the next one with a higher cumulative amount.
 *
 * @example
 * const domain = receiptDomain(31337n, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
 * const receipt = parseReceipt({ requester, worker, cumulativeAmount: 10n ** 18n, cumulativeWork: 50n });
 */
import { hexToBytes, type Address, type Hex } from 'viem';
import { assertAddress, assertChainId, assertUint256 } from './assert.ts';
import { InvalidFieldError } from './errors.ts';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** The EIP-712 struct, field for field. */
export interface Receipt {
  requester: Address;
  worker: Address;
  /** Total wei owed to `worker` by `requester`, all receipts of the pair included. */
  cumulativeAmount: bigint;
  /** Total work (units × the model's cost weight) covered by `cumulativeAmount`. */
  cumulativeWork: bigint;
}

/** The EIP-712 domain: `name` and `version` are fixed, chain and contract per deployment. */
export interface ReceiptDomain {
  name: 'tabmesh';
  version: '1';
  chainId: bigint;
  verifyingContract: Address;
}

/**
 * A receipt as it travels and is stored: the struct, the domain it was signed for (so a receipt
 * for another chain or contract is refused as such, not as a bad signature) and the signature.
 */
export interface SignedReceipt extends Receipt {
  chainId: bigint;
  verifyingContract: Address;
  /** 65 bytes r ‖ s ‖ v (v ∈ {27, 28}, low s), as 0x-hex. */
  signature: Hex;
}

export const RECEIPT_DOMAIN_NAME = 'tabmesh';
export const RECEIPT_DOMAIN_VERSION = '1';

/** The EIP-712 types (viem's `types` argument). */
export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'requester', type: 'address' },
    { name: 'worker', type: 'address' },
    { name: 'cumulativeAmount', type: 'uint256' },
    { name: 'cumulativeWork', type: 'uint256' },
  ],
} as const;

/** `Receipt(address requester,address worker,uint256 cumulativeAmount,uint256 cumulativeWork)` */
export const RECEIPT_TYPE_STRING = 'Receipt(address requester,address worker,uint256 cumulativeAmount,uint256 cumulativeWork)';

/** The domain for a deployment. */
export function receiptDomain(chainId: bigint | number, verifyingContract: string): ReceiptDomain {
  return {
    name: RECEIPT_DOMAIN_NAME,
    version: RECEIPT_DOMAIN_VERSION,
    chainId: assertChainId(chainId, 'domain.chainId'),
    verifyingContract: assertAddress(verifyingContract, 'domain.verifyingContract'),
  };
}

/** Checks a domain given by a caller (name/version fixed). */
export function parseDomain(d: unknown): ReceiptDomain {
  if (typeof d !== 'object' || d === null) throw new InvalidFieldError('domain', 'must be an object');
  const o = d as Record<string, unknown>;
  if (o.name !== undefined && o.name !== RECEIPT_DOMAIN_NAME) throw new InvalidFieldError('domain.name', `must be "${RECEIPT_DOMAIN_NAME}"`);
  if (o.version !== undefined && o.version !== RECEIPT_DOMAIN_VERSION) throw new InvalidFieldError('domain.version', `must be "${RECEIPT_DOMAIN_VERSION}"`);
  return receiptDomain(o.chainId as bigint, o.verifyingContract as string);
}

/** Checks every field of a receipt struct; returns it normalised (lowercase addresses). */
export function parseReceipt(r: unknown, field = 'receipt'): Receipt {
  if (typeof r !== 'object' || r === null) throw new InvalidFieldError(field, 'must be an object');
  const o = r as Record<string, unknown>;
  return {
    requester: assertAddress(o.requester, `${field}.requester`),
    worker: assertAddress(o.worker, `${field}.worker`),
    cumulativeAmount: assertUint256(o.cumulativeAmount, `${field}.cumulativeAmount`),
    cumulativeWork: assertUint256(o.cumulativeWork, `${field}.cumulativeWork`),
  };
}

/** Stable key of a pair: `requester:worker`, both lowercase; sorts like the 40 raw bytes. */
export type PairKey = `${Address}:${Address}`;
export const pairKey = (requester: Address, worker: Address): PairKey => `${requester}:${worker}`;

/** Sync bucket of a pair, 0..255: first byte of keccak256(requester ‖ worker) (20 + 20 raw bytes). */
export function pairBucket(requester: Address, worker: Address): number {
  const buf = new Uint8Array(40);
  buf.set(hexToBytes(requester), 0);
  buf.set(hexToBytes(worker), 20);
  return keccak_256(buf)[0] as number;
}
