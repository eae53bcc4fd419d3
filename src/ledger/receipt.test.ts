import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, hashTypedData, recoverTypedDataAddress, type Address } from 'viem';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { MAX_UINT256, u256Bytes } from './assert.ts';
import { receiptDigest } from './receipt-digest.ts';
import { RECEIPT_TYPES, receiptDomain } from './receipt.ts';
import { recoverReceiptSigner } from './recover-receipt-signer.ts';
import { signReceipt } from './sign-receipt.ts';
import { verifyReceipt } from './verify-receipt.ts';
import { PRICE, TEST_DOMAIN, signedReceipt, testKey } from './testing.ts';
import { DEFAULT_PRICE_BOUNDS } from './ledger.ts';

const N = secp256k1.Point.CURVE().n;
const alice = testKey('alice');
const bob = testKey('bob').address;
const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => bytesToHex(b) as Address);
const u256 = fc.bigInt({ min: 0n, max: MAX_UINT256 });

describe('receipt digest', () => {
  it('equals viem hashTypedData for random receipts and domains', () => {
    fc.assert(
      fc.property(addr, addr, u256, u256, fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), addr, (requester, worker, cumulativeAmount, cumulativeWork, chainId, contract) => {
        const domain = receiptDomain(chainId, contract);
        const message = { requester, worker, cumulativeAmount, cumulativeWork };
        const expected = hashTypedData({ domain, types: RECEIPT_TYPES, primaryType: 'Receipt', message });
        expect(receiptDigest(message, domain)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('signs low-s r‖s‖v that viem recovers to the requester', async () => {
    for (let i = 1; i <= 20; i++) {
      const r = { requester: alice.address, worker: bob, cumulativeAmount: BigInt(i) * 10n ** 17n, cumulativeWork: BigInt(i) };
      const sig = signReceipt(r, TEST_DOMAIN, alice.secretKey);
      expect(sig.length).toBe(65);
      expect([27, 28]).toContain(sig[64]);
      const s = BigInt(bytesToHex(sig.subarray(32, 64)));
      expect(s <= N / 2n).toBe(true);
      expect(recoverReceiptSigner(r, TEST_DOMAIN, sig)).toBe(alice.address);
      const viemSigner = await recoverTypedDataAddress({ domain: TEST_DOMAIN, types: RECEIPT_TYPES, primaryType: 'Receipt', message: r, signature: bytesToHex(sig) });
      expect(viemSigner.toLowerCase()).toBe(alice.address);
    }
  });
});

describe('verifyReceipt refusals name the field', () => {
  const good = signedReceipt(alice, bob, 50n * PRICE, 50n);
  const expectErr = (input: unknown, name: string, field: string, opts?: Parameters<typeof verifyReceipt>[2]) => {
    try {
      verifyReceipt(input, TEST_DOMAIN, opts);
    } catch (e) {
      expect((e as Error).name).toBe(name);
      expect((e as { field: string }).field).toBe(field);
      return;
    }
    throw new Error(`expected ${name}`);
  };

  it('accepts a good receipt and returns its digest', () => {
    const v = verifyReceipt(good, TEST_DOMAIN, { priceBounds: DEFAULT_PRICE_BOUNDS });
    expect(v.digest).toBe(receiptDigest(good, TEST_DOMAIN));
  });
  it('tampered amount → SignerMismatchError', () => expectErr({ ...good, cumulativeAmount: good.cumulativeAmount + 1n }, 'SignerMismatchError', 'receipt.signature'));
  it('tampered worker → SignerMismatchError', () => expectErr({ ...good, worker: testKey('eve').address }, 'SignerMismatchError', 'receipt.signature'));
  it('signed by someone else → SignerMismatchError', () => {
    const forged = signedReceipt(testKey('eve'), bob, 50n * PRICE, 50n);
    expectErr({ ...forged, requester: alice.address }, 'SignerMismatchError', 'receipt.signature');
  });
  it('high-s twin → HighSSignatureError', () => {
    const sig = hexToBytes(good.signature);
    const s = BigInt(bytesToHex(sig.subarray(32, 64)));
    const hi = new Uint8Array(sig);
    u256Bytes(N - s, hi, 32);
    hi[64] = sig[64] === 27 ? 28 : 27;
    expectErr({ ...good, signature: bytesToHex(hi) }, 'HighSSignatureError', 'receipt.signature.s');
  });
  it('bad v → MalformedSignatureError', () => {
    const sig = hexToBytes(good.signature);
    sig[64] = 1;
    expectErr({ ...good, signature: bytesToHex(sig) }, 'MalformedSignatureError', 'receipt.signature.v');
  });
  it('64-byte signature → MalformedSignatureError', () => expectErr({ ...good, signature: good.signature.slice(0, 130) }, 'MalformedSignatureError', 'receipt.signature'));
  it('r = 0 → MalformedSignatureError', () => {
    const sig = hexToBytes(good.signature);
    sig.fill(0, 0, 32);
    expectErr({ ...good, signature: bytesToHex(sig) }, 'MalformedSignatureError', 'receipt.signature.r');
  });
  it('wrong chainId → ChainIdMismatchError', () => expectErr({ ...good, chainId: 1n }, 'ChainIdMismatchError', 'receipt.chainId'));
  it('wrong contract → ContractMismatchError', () => expectErr({ ...good, verifyingContract: bob }, 'ContractMismatchError', 'receipt.verifyingContract'));
  it('signed for another domain but presented as ours → SignerMismatchError', () => {
    const other = signedReceipt(alice, bob, 50n * PRICE, 50n, receiptDomain(1n, TEST_DOMAIN.verifyingContract));
    expectErr({ ...other, chainId: TEST_DOMAIN.chainId }, 'SignerMismatchError', 'receipt.signature');
  });
  it('malformed address → InvalidFieldError', () => expectErr({ ...good, worker: '0x1234' }, 'InvalidFieldError', 'receipt.worker'));
  it('amount not a bigint → InvalidFieldError', () => expectErr({ ...good, cumulativeAmount: 5 }, 'InvalidFieldError', 'receipt.cumulativeAmount'));
  it('amount above uint256 → AmountOutOfRangeError', () => expectErr({ ...good, cumulativeAmount: MAX_UINT256 + 1n }, 'AmountOutOfRangeError', 'receipt.cumulativeAmount'));
  it('negative work → AmountOutOfRangeError', () => expectErr({ ...good, cumulativeWork: -1n }, 'AmountOutOfRangeError', 'receipt.cumulativeWork'));
  it('price above max → PriceOutOfBoundsError', () => {
    const r = signedReceipt(alice, bob, 11n * 10n ** 18n, 1n);
    expectErr(r, 'PriceOutOfBoundsError', 'receipt.cumulativeAmount', { priceBounds: DEFAULT_PRICE_BOUNDS });
  });
  it('price below min → PriceOutOfBoundsError', () => {
    const r = signedReceipt(alice, bob, 10n ** 14n, 1n);
    expectErr(r, 'PriceOutOfBoundsError', 'receipt.cumulativeAmount', { priceBounds: DEFAULT_PRICE_BOUNDS });
  });
  it('not above settled → ReplayError; work below settled → WorkBelowSettledError', () => {
    expectErr(good, 'ReplayError', 'receipt.cumulativeAmount', { settled: { amount: good.cumulativeAmount, work: 0n } });
    expectErr(good, 'WorkBelowSettledError', 'receipt.cumulativeWork', { settled: { amount: 0n, work: 51n } });
  });
  it('not an object → InvalidFieldError', () => expectErr(null, 'InvalidFieldError', 'receipt'));
});
