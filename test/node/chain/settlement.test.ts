/**
 * Settlement against the compiled bytecode in the real EVM through viem: escrow, receipts, fee
 * split, every revert path with its receipt index, anchoring and inclusion proofs, withdrawals.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, keccak256, maxUint256, parseEther, zeroAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { digestOf, domainOf, expectRevert, signTestReceipt, startTestChain, type TestChain, type TestReceipt } from './support.ts';

const PRICE = parseEther('0.01'); // per unit of work, inside the default bounds [0.001, 10] MESH
const rcpt = (requester: Address, worker: Address, work: bigint, price = PRICE): TestReceipt => ({ requester, worker, cumulativeWork: work, cumulativeAmount: work * price });

let t: TestChain;
let domain: ReturnType<typeof domainOf>;
const sign = (r: TestReceipt, key: Hex = t.requester.privateKey, d = domain, opts = {}) => signTestReceipt(key, d, r, opts);
const settle = (rs: TestReceipt[], sigs: Hex[] = rs.map((r) => sign(r))) => t.as(t.deployer).settlement.write.settleBatch([rs, sigs]);

beforeAll(async () => {
  t = await startTestChain();
  domain = domainOf(t.provider.chainId, t.addresses.settlement);
  const me = t.as(t.requester);
  await t.ok(me.token.write.approve([t.addresses.settlement, maxUint256]));
  await t.ok(me.settlement.write.deposit([parseEther('1000')]));
});

describe('escrow', () => {
  it('deposits by transferFrom and emits Deposited', async () => {
    const before = (await t.read.settlement.read.escrowOf([t.requester.address]))[0];
    const r = await t.ok(t.as(t.requester).settlement.write.deposit([parseEther('5')]));
    const [balance] = await t.read.settlement.read.escrowOf([t.requester.address]);
    expect(balance - before).toBe(parseEther('5'));
    const ev = await t.read.settlement.getEvents.Deposited({}, { blockHash: r.blockHash });
    expect(ev[0]?.args).toMatchObject({ requester: t.requester.address, amount: parseEther('5'), balance });
  });
  it('refuses a zero deposit and one without allowance', async () => {
    await expectRevert(t.as(t.requester).settlement.write.deposit([0n]), 'ZeroAmount');
    await expectRevert(t.as(t.mallory).settlement.write.deposit([1n]), 'ERC20InsufficientAllowance');
  });
});

describe('settleBatch', () => {
  it('digest: the contract and the TypeScript EIP-712 digest agree', async () => {
    const r = rcpt(t.requester.address, t.worker.address, 3n);
    expect(await t.read.settlement.read.receiptDigest([r])).toBe(digestOf(domain, r));
    const d = await t.read.settlement.read.eip712Domain();
    expect(d[1]).toBe('tabmesh');
    expect(d[2]).toBe('1');
    expect(d[3]).toBe(BigInt(t.provider.chainId));
  });

  it('pays a receipt: burn, treasury and worker shares per RULES.md, work and burn per epoch', async () => {
    const r = rcpt(t.requester.address, t.worker.address, 100n);
    const supply0 = await t.read.token.read.totalSupply();
    const treasury0 = await t.read.token.read.balanceOf([t.addresses.treasury]);
    const worker0 = await t.read.token.read.balanceOf([t.worker.address]);
    const [esc0] = await t.read.settlement.read.escrowOf([t.requester.address]);
    const rec = await t.ok(settle([r]));
    const amount = r.cumulativeAmount;
    const burn = (amount * 2000n) / 10000n;
    const treasury = (amount * 500n) / 10000n;
    expect(await t.read.token.read.totalSupply()).toBe(supply0 - burn);
    expect(await t.read.token.read.balanceOf([t.addresses.treasury])).toBe(treasury0 + treasury);
    expect(await t.read.token.read.balanceOf([t.worker.address])).toBe(worker0 + amount - burn - treasury);
    expect((await t.read.settlement.read.escrowOf([t.requester.address]))[0]).toBe(esc0 - amount);
    expect(await t.read.settlement.read.settled([t.requester.address, t.worker.address])).toEqual([amount, 100n]);
    const epoch = await t.read.settlement.read.currentEpoch({ blockNumber: rec.blockNumber });
    const [work, burnPaid] = await t.read.settlement.read.workerEpoch([epoch, t.worker.address]);
    expect(work).toBeGreaterThanOrEqual(100n);
    expect(burnPaid).toBeGreaterThanOrEqual(burn);
    const [ev] = await t.read.settlement.getEvents.ReceiptSettled({}, { blockHash: rec.blockHash });
    expect(ev?.args).toMatchObject({ requester: t.requester.address, worker: t.worker.address, digest: digestOf(domain, r), amountDelta: amount, workDelta: 100n });
    const [batch] = await t.read.settlement.getEvents.BatchSettled({}, { blockHash: rec.blockHash });
    expect(batch?.args).toMatchObject({ root: digestOf(domain, r), receipts: 1n, amount, burned: burn, toTreasury: treasury });
  });

  it('pays only the delta of a newer cumulative receipt, in the same batch and across batches', async () => {
    const w = t.rest[0]!.address;
    await t.ok(settle([rcpt(t.requester.address, w, 10n), rcpt(t.requester.address, w, 25n)]));
    expect(await t.read.settlement.read.settled([t.requester.address, w])).toEqual([25n * PRICE, 25n]);
    await t.ok(settle([rcpt(t.requester.address, w, 40n)]));
    expect(await t.read.settlement.read.settled([t.requester.address, w])).toEqual([40n * PRICE, 40n]);
    const paid = 40n * PRICE - (40n * PRICE * 2000n) / 10000n - (40n * PRICE * 500n) / 10000n;
    // the three receipts were split separately (rounding per receipt); here amounts divide exactly
    expect(await t.read.token.read.balanceOf([w])).toBe(parseEther('1000000') + paid);
  });
});

describe('settleBatch reverts, naming the receipt', () => {
  const fresh = () => privateKeyToAccount(`0x${(Math.floor(Math.random() * 2 ** 48) + 1).toString(16).padStart(64, '0')}` as Hex).address;

  it('forged signature (signed by someone else) → InvalidSignature(index)', async () => {
    const good = rcpt(t.requester.address, fresh(), 1n);
    const bad = rcpt(t.requester.address, fresh(), 1n);
    await expectRevert(settle([good, bad], [sign(good), sign(bad, t.mallory.privateKey)]), 'InvalidSignature', [1n]);
  });
  it('tampered amount → InvalidSignature(index)', async () => {
    const r = rcpt(t.requester.address, fresh(), 2n);
    await expectRevert(settle([{ ...r, cumulativeAmount: r.cumulativeAmount + 1n }], [sign(r)]), 'InvalidSignature', [0n]);
  });
  it('wrong chainId in the domain → InvalidSignature(index)', async () => {
    const r = rcpt(t.requester.address, fresh(), 2n);
    await expectRevert(settle([r], [sign(r, undefined, domainOf(1, t.addresses.settlement))]), 'InvalidSignature', [0n]);
  });
  it('wrong verifying contract → InvalidSignature(index)', async () => {
    const r = rcpt(t.requester.address, fresh(), 2n);
    await expectRevert(settle([r], [sign(r, undefined, domainOf(t.provider.chainId, t.addresses.token))]), 'InvalidSignature', [0n]);
  });
  it('high-s twin of a valid signature → SignatureHighS(index)', async () => {
    const r = rcpt(t.requester.address, fresh(), 2n);
    await expectRevert(settle([r], [sign(r, undefined, domain, { highS: true })]), 'SignatureHighS', [0n]);
  });
  it('bad v and bad length → InvalidSignature / InvalidSignatureLength', async () => {
    const r = rcpt(t.requester.address, fresh(), 2n);
    const sig = sign(r);
    await expectRevert(settle([r], [`${sig.slice(0, 130)}1d` as Hex]), 'InvalidSignature', [0n]);
    await expectRevert(settle([r], [sig.slice(0, 130) as Hex]), 'InvalidSignatureLength', [0n]);
  });
  it('a zero requester cannot pass with a garbage signature (ecrecover failure is not address 0)', async () => {
    const r = rcpt(zeroAddress, fresh(), 2n);
    await expectRevert(settle([r], [`0x${'00'.repeat(64)}1b`]), 'InvalidSignature', [0n]);
  });
  it('replay within a batch → ReceiptReplayed(index)', async () => {
    const r = rcpt(t.requester.address, fresh(), 3n);
    await expectRevert(settle([r, r]), 'ReceiptReplayed', [1n]);
  });
  it('replay across batches (same or older receipt) → ReceiptReplayed(index)', async () => {
    const w = fresh();
    const old = rcpt(t.requester.address, w, 3n);
    const cur = rcpt(t.requester.address, w, 5n);
    await t.ok(settle([cur]));
    await expectRevert(settle([cur]), 'ReceiptReplayed', [0n]);
    await expectRevert(settle([rcpt(t.requester.address, fresh(), 1n), old]), 'ReceiptReplayed', [1n]);
  });
  it('more amount for less work → WorkDecreased(index)', async () => {
    const w = fresh();
    await t.ok(settle([rcpt(t.requester.address, w, 5n)]));
    await expectRevert(settle([{ requester: t.requester.address, worker: w, cumulativeAmount: 6n * PRICE, cumulativeWork: 4n }]), 'WorkDecreased', [0n]);
  });
  it('over budget → InsufficientEscrow(index), also when the batch adds up past the escrow', async () => {
    const poor = t.rest[1]!;
    await t.ok(t.as(poor).token.write.approve([t.addresses.settlement, maxUint256]));
    await t.ok(t.as(poor).settlement.write.deposit([parseEther('1')]));
    const a = rcpt(poor.address, fresh(), 60n); // 0.6 MESH
    const b = rcpt(poor.address, fresh(), 60n); // 0.6 MESH: together 1.2 > 1
    await expectRevert(settle([a, b], [sign(a, poor.privateKey), sign(b, poor.privateKey)]), 'InsufficientEscrow', [1n]);
    const big = rcpt(poor.address, fresh(), 101n);
    await expectRevert(settle([big], [sign(big, poor.privateKey)]), 'InsufficientEscrow', [0n]);
    await t.ok(settle([a], [sign(a, poor.privateKey)]));
    expect((await t.read.settlement.read.escrowOf([poor.address]))[0]).toBe(parseEther('0.4'));
  });
  it('price out of bounds (below min, above max, amount without work) → PriceOutOfBounds(index)', async () => {
    const cheap = rcpt(t.requester.address, fresh(), 10n, parseEther('0.001') - 1n);
    const dear = rcpt(t.requester.address, fresh(), 1n, parseEther('10') + 1n);
    const free = { requester: t.requester.address, worker: fresh(), cumulativeAmount: 1n, cumulativeWork: 0n };
    await expectRevert(settle([cheap]), 'PriceOutOfBounds', [0n]);
    await expectRevert(settle([rcpt(t.requester.address, fresh(), 1n), dear]), 'PriceOutOfBounds', [1n]);
    await expectRevert(settle([free]), 'PriceOutOfBounds', [0n]);
    await t.ok(settle([rcpt(t.requester.address, fresh(), 10n, parseEther('0.001')), rcpt(t.requester.address, fresh(), 1n, parseEther('10'))]));
  });
  it('zero worker, values out of range, empty and mismatched batches', async () => {
    const r = rcpt(t.requester.address, zeroAddress, 1n);
    await expectRevert(settle([r]), 'InvalidWorker', [0n]);
    const huge = { requester: t.requester.address, worker: fresh(), cumulativeAmount: 1n, cumulativeWork: 2n ** 64n };
    await expectRevert(settle([huge]), 'ValueOutOfRange', [0n]);
    await expectRevert(settle([]), 'EmptyBatch');
    await expectRevert(settle([rcpt(t.requester.address, fresh(), 1n)], []), 'LengthMismatch', [1n, 0n]);
  });
  it('a transaction signed for another chain id is refused by the node', async () => {
    const other = { ...t.chain, id: 1 };
    const { createWalletClient } = await import('viem');
    const w = createWalletClient({ chain: other, transport: t.transport, account: t.deployer.account });
    await expect(w.sendTransaction({ to: t.worker.address, value: 1n, chain: other })).rejects.toThrow(/chain/i);
  });
});

describe('anchoring', () => {
  it('anchors ended epochs strictly in order; roots and inclusion proofs verify', async () => {
    const s = t.as(t.deployer).settlement;
    const start = await t.read.settlement.read.currentEpoch();
    // epochs before this one: anchor them (some empty)
    await expectRevert(s.write.anchor([start]), start === 0n ? 'EpochNotEnded' : 'AnchorOutOfOrder');
    for (let e = await t.read.settlement.read.nextAnchorEpoch(); e < start; e++) await t.ok(s.write.anchor([e]));
    await t.travelToEpoch(Number(start) + 1);
    const e = await t.read.settlement.read.currentEpoch();
    const batches: Hex[][] = [];
    for (const n of [3, 1, 4]) {
      const rs = Array.from({ length: n }, (_, i) => rcpt(t.requester.address, privateKeyToAccount(`0x${(0xa0000 + batches.length * 16 + i + Number(e) * 256).toString(16).padStart(64, '0')}` as Hex).address, 1n));
      const rec = await t.ok(settle(rs));
      expect(await t.read.settlement.read.currentEpoch({ blockNumber: rec.blockNumber })).toBe(e);
      batches.push(rs.map((r) => digestOf(domain, r)));
    }
    const roots = await t.read.settlement.read.batchRoots([e]);
    expect(roots).toHaveLength(3);
    for (let b = 0; b < 3; b++) expect(roots[b]).toBe(await t.read.settlement.read.merkleRoot([batches[b]!]));
    await expectRevert(s.write.anchor([e]), 'AnchorOutOfOrder', [start, e]);
    await t.ok(s.write.anchor([start])); // the epoch before, ended
    await expectRevert(s.write.anchor([e]), 'EpochNotEnded', [e]);
    await t.travelToEpoch(Number(e) + 1);
    const rec = await t.ok(s.write.anchor([e]));
    const root = await t.read.settlement.read.epochRoot([e]);
    expect(root).toBe(await t.read.settlement.read.merkleRoot([[...roots]]));
    const [ev] = await t.read.settlement.getEvents.EpochAnchored({}, { blockHash: rec.blockHash });
    expect(ev?.args).toMatchObject({ epoch: e, root, batches: 3n });
    await expectRevert(s.write.anchor([e]), 'AnchorOutOfOrder', [e + 1n, e]);
    // inclusion proof: path in batch ‖ batch's path among batch roots (own small prover)
    const leaf = batches[2]![3]!;
    const proof = [...proveIn(batches[2]!, 3), ...proveIn([...roots], 2)];
    expect(await t.read.settlement.read.verifyInclusion([e, leaf, proof])).toBe(true);
    expect(await t.read.settlement.read.verifyInclusion([e, batches[0]![0]!, proof])).toBe(false);
  });

  it('an empty epoch anchors the zero root', async () => {
    const s = t.as(t.deployer).settlement;
    const e = await t.read.settlement.read.nextAnchorEpoch();
    await t.travelToEpoch(Number(e) + 2);
    await t.ok(s.write.anchor([e]));
    expect((await t.read.settlement.read.epochInfo([e])).batches).toBe(0n);
    expect(await t.read.settlement.read.epochRoot([e])).toBe(`0x${'00'.repeat(32)}`);
  });
});

describe('withdrawal delay', () => {
  it('locks for withdrawalDelay, keeps settling meanwhile, then pays what is left of the request', async () => {
    const q = t.rest[2]!;
    const me = t.as(q);
    await t.ok(me.token.write.approve([t.addresses.settlement, maxUint256]));
    await t.ok(me.settlement.write.deposit([parseEther('10')]));
    await expectRevert(me.settlement.write.withdraw(), 'NoWithdrawalPending');
    await expectRevert(me.settlement.write.requestWithdrawal([parseEther('11')]), 'WithdrawalExceedsEscrow', [parseEther('10'), parseEther('11')]);
    const req = await t.ok(me.settlement.write.requestWithdrawal([parseEther('10')]));
    const [, pending, unlockAt] = await t.read.settlement.read.escrowOf([q.address]);
    const block = await t.publicClient.getBlock({ blockHash: req.blockHash });
    expect(pending).toBe(parseEther('10'));
    expect(unlockAt).toBe(block.timestamp + BigInt(t.profile.withdrawalDelay));
    await expectRevert(me.settlement.write.withdraw(), 'WithdrawalLocked', [unlockAt]);
    // the escrow still pays receipts during the delay
    const r = rcpt(q.address, t.worker2.address, 300n); // 3 MESH
    await t.ok(settle([r], [sign(r, q.privateKey)]));
    await t.increaseTime(t.profile.withdrawalDelay);
    const bal0 = await t.read.token.read.balanceOf([q.address]);
    const w = await t.ok(me.settlement.write.withdraw());
    expect(await t.read.token.read.balanceOf([q.address])).toBe(bal0 + parseEther('7'));
    expect(await t.read.settlement.read.escrowOf([q.address])).toEqual([0n, 0n, 0n]);
    const [ev] = await t.read.settlement.getEvents.Withdrawn({}, { blockHash: w.blockHash });
    expect(ev?.args).toMatchObject({ requester: q.address, amount: parseEther('7'), balance: 0n });
  });
});

/** Sibling path of leaf `i` (sorted-pair hashing, odd node carried up), for the test's own check. */
function proveIn(leaves: Hex[], i: number): Hex[] {
  let level = [...leaves];
  const proof: Hex[] = [];
  while (level.length > 1) {
    if ((i ^ 1) < level.length) proof.push(level[i ^ 1]!);
    const next: Hex[] = [];
    for (let k = 0; k < level.length; k += 2) {
      const a = level[k]!;
      const b = level[k + 1];
      next.push(b === undefined ? a : BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])));
    }
    level = next;
    i >>= 1;
  }
  return proof;
}
