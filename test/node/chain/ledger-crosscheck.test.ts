/**
 * The ledger's TypeScript (src/ledger: receiptDigest, signReceipt, merkleRoot, anchorProof) and
 * the contract compute the same digests, accept the same signatures and the same Merkle roots and
 * inclusion proofs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, keccak256, maxUint256, parseEther, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { receiptDigest } from '../../../src/ledger/receipt-digest.ts';
import { signReceipt } from '../../../src/ledger/sign-receipt.ts';
import { anchorProof, merkleRoot } from '../../../src/ledger/merkle.ts';
import type { ReceiptDomain } from '../../../src/ledger/receipt.ts';
import { startTestChain, type TestChain } from './support.ts';

let t: TestChain;
let domain: ReceiptDomain;
const workerAt = (i: number) => privateKeyToAccount(keccak256(toHex(`crosscheck-${i}`))).address;

beforeAll(async () => {
  t = await startTestChain();
  domain = { name: 'tabmesh', version: '1', chainId: BigInt(t.provider.chainId), verifyingContract: t.addresses.settlement };
  await t.ok(t.as(t.requester).token.write.approve([t.addresses.settlement, maxUint256]));
  await t.ok(t.as(t.requester).settlement.write.deposit([parseEther('1000')]));
});

describe('ledger ↔ contract', () => {
  it('receiptDigest equals the contract digest', async () => {
    for (const [amount, work] of [[1n, 0n], [parseEther('3'), 300n], [2n ** 128n - 1n, 2n ** 64n - 1n]] as const) {
      const r = { requester: t.requester.address, worker: t.worker.address, cumulativeAmount: amount, cumulativeWork: work };
      expect(receiptDigest(r, domain)).toBe(await t.read.settlement.read.receiptDigest([r]));
    }
  });

  it('merkleRoot equals the contract root for 1..9 leaves', async () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => keccak256(toHex(`leaf-${n}-${i}`)));
      expect(merkleRoot(leaves)).toBe(await t.read.settlement.read.merkleRoot([leaves]));
    }
  });

  it('signReceipt signatures settle; batch roots and anchorProof verify against the anchored root', async () => {
    const e = await t.read.settlement.read.currentEpoch();
    const batches: Hex[][] = [];
    for (const [b, n] of [[0, 5], [1, 2], [2, 3]] as const) {
      const rs = Array.from({ length: n }, (_, i) => ({ requester: t.requester.address, worker: workerAt(b * 10 + i), cumulativeAmount: parseEther('0.01') * BigInt(i + 1), cumulativeWork: BigInt(i + 1) }));
      const sigs = rs.map((r) => bytesToHex(signReceipt(r, domain, hexToBytes(t.requester.privateKey))));
      await t.ok(t.as(t.deployer).settlement.write.settleBatch([rs, sigs]));
      batches.push(rs.map((r) => receiptDigest(r, domain)));
    }
    const roots = [...(await t.read.settlement.read.batchRoots([e]))];
    expect(roots).toEqual(batches.map((l) => merkleRoot(l)));
    for (let a = await t.read.settlement.read.nextAnchorEpoch(); a < e; a++) await t.ok(t.as(t.deployer).settlement.write.anchor([a]));
    await t.travelToEpoch(Number(e) + 1);
    await t.ok(t.as(t.deployer).settlement.write.anchor([e]));
    expect(await t.read.settlement.read.epochRoot([e])).toBe(merkleRoot(roots));
    for (const [b, i] of [[0, 4], [1, 0], [2, 2]] as const) {
      const proof = anchorProof(batches[b]!, i, roots, b);
      expect(await t.read.settlement.read.verifyInclusion([e, batches[b]![i]!, proof])).toBe(true);
    }
  });
});
