/**
 * Verifies a signed receipt against the ledger's domain: every field well-formed, the receipt's
 * chain and contract equal to the domain's, the signature low-s and recovering `requester`, and
 * (when `priceBounds` is given) the price of its delta over what is settled within bounds.
 * Throws the first failure as a named error whose `field` says which value is wrong.
 *
 * @example
 * const v = verifyReceipt({ ...receipt, chainId: 31337n, verifyingContract, signature }, domain);
 * v.digest; // the EIP-712 digest (the Merkle leaf once settled)
 */
import { bytesToHex, type Hex } from 'viem';
import { assertAddress, assertChainId } from './assert.ts';
import { ChainIdMismatchError, ContractMismatchError, InvalidFieldError, PriceOutOfBoundsError, SignerMismatchError, WorkBelowSettledError, ReplayError } from './errors.ts';
import { receiptDigestBytes } from './receipt-digest.ts';
import { parseReceipt, type ReceiptDomain, type SignedReceipt } from './receipt.ts';
import { parseSignature, recoverDigestSigner } from './recover-receipt-signer.ts';

/** Price per unit of work, in wei (RULES.md parameters 5 and 6). */
export interface PriceBounds {
  minPricePerWork: bigint;
  maxPricePerWork: bigint;
}

/** What the chain has settled for a pair. */
export interface SettledPair {
  amount: bigint;
  work: bigint;
}

export interface VerifyReceiptOptions {
  priceBounds?: PriceBounds;
  /** Defaults to nothing settled. */
  settled?: SettledPair;
}

export type VerifyReceiptParameters = [input: unknown, domain: ReceiptDomain, options?: VerifyReceiptOptions];
/** The receipt, normalised, with its digest. */
export type VerifiedReceipt = SignedReceipt & { digest: Hex };
export type VerifyReceiptReturnType = VerifiedReceipt;

/** Checks field shapes and the domain only (no signature work). */
export function parseSignedReceipt(input: unknown, domain: ReceiptDomain, field = 'receipt'): SignedReceipt {
  if (typeof input !== 'object' || input === null) throw new InvalidFieldError(field, 'must be an object');
  const o = input as Record<string, unknown>;
  const r = parseReceipt(o, field);
  const chainId = o.chainId === undefined ? domain.chainId : assertChainId(o.chainId, `${field}.chainId`);
  if (chainId !== domain.chainId) throw new ChainIdMismatchError(`${field}.chainId`, `is ${chainId}, this ledger settles on chain ${domain.chainId}`);
  const verifyingContract = o.verifyingContract === undefined ? domain.verifyingContract : assertAddress(o.verifyingContract, `${field}.verifyingContract`);
  if (verifyingContract !== domain.verifyingContract.toLowerCase()) throw new ContractMismatchError(`${field}.verifyingContract`, `is ${verifyingContract}, this ledger settles on ${domain.verifyingContract.toLowerCase()}`);
  const sig = parseSignature(o.signature as Hex, `${field}.signature`);
  return { ...r, chainId, verifyingContract, signature: bytesToHex(sig) };
}

/** The contract's settlement-side rules for one receipt against what is settled for its pair. */
export function checkAgainstSettled(r: { cumulativeAmount: bigint; cumulativeWork: bigint }, settled: SettledPair, priceBounds: PriceBounds | undefined, field = 'receipt'): void {
  if (r.cumulativeAmount <= settled.amount) throw new ReplayError(`${field}.cumulativeAmount`, `${r.cumulativeAmount} is not above the settled ${settled.amount}`);
  if (r.cumulativeWork < settled.work) throw new WorkBelowSettledError(`${field}.cumulativeWork`, `${r.cumulativeWork} is below the settled ${settled.work}`);
  if (priceBounds) {
    const amountDelta = r.cumulativeAmount - settled.amount;
    const workDelta = r.cumulativeWork - settled.work;
    if (amountDelta < workDelta * priceBounds.minPricePerWork || amountDelta > workDelta * priceBounds.maxPricePerWork)
      throw new PriceOutOfBoundsError(`${field}.cumulativeAmount`, `delta ${amountDelta} wei for ${workDelta} work is outside [${priceBounds.minPricePerWork}, ${priceBounds.maxPricePerWork}] per work`);
  }
}

/** The signature over `digest` recovers `r.requester` (SignerMismatchError otherwise). */
export function assertSignedByRequester(r: SignedReceipt, digest: Uint8Array): void {
  const signer = recoverDigestSigner(digest, r.signature, 'receipt.signature');
  if (signer !== r.requester) throw new SignerMismatchError('receipt.signature', r.requester, signer);
}

export function verifyReceipt(...[input, domain, options = {}]: VerifyReceiptParameters): VerifyReceiptReturnType {
  const r = parseSignedReceipt(input, domain);
  const digest = receiptDigestBytes(r, domain);
  assertSignedByRequester(r, digest);
  if (options.priceBounds || options.settled) checkAgainstSettled(r, options.settled ?? { amount: 0n, work: 0n }, options.priceBounds);
  return { ...r, digest: bytesToHex(digest) };
}
