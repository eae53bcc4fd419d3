/**
 * Emission per RULES.md: halving schedule, budgets fixed in order and committed (cap-safe),
 * pro-rata claims capped by burn paid, claim once, finalize after two epochs.
 * A standalone deployment whose Params the deployer owns lets the test move emissionRateBps.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { maxUint256, parseEther, type Address, type Hex } from 'viem';
import { MeshToken, Params, Settlement, meshTokenAbi, paramsAbi, settlementAbi } from '../../../src/chain/artifacts.ts';
import { domainOf, expectRevert, signTestReceipt, startTestChain, type TestChain, type TestReceipt } from './support.ts';

const E0 = 1_164_383n * 10n ** 18n;
const CAP = 10n ** 27n;

async function standalone(t: TestChain, opts: { deployerMints?: boolean } = {}) {
  const w = t.walletOf(t.deployer);
  const deploy = async (abi: any, bytecode: Hex, args: unknown[]) => (await t.ok(w.deployContract({ abi, bytecode, args }))).contractAddress as Address;
  const token = await deploy(MeshToken.abi, MeshToken.bytecode, [t.deployer.address, t.deployer.address, t.deployer.address]);
  const params = await deploy(Params.abi, Params.bytecode, [t.deployer.address]);
  const settlement = await deploy(Settlement.abi, Settlement.bytecode, [token, params, t.rest[0]!.address, BigInt(t.profile.epochSeconds), BigInt(t.profile.withdrawalDelay)]);
  const minter = await t.publicClient.readContract({ address: token, abi: meshTokenAbi, functionName: 'MINTER_ROLE' });
  await t.ok(w.writeContract({ address: token, abi: meshTokenAbi, functionName: 'grantRole', args: [minter, settlement] }));
  if (opts.deployerMints) await t.ok(w.writeContract({ address: token, abi: meshTokenAbi, functionName: 'grantRole', args: [minter, t.deployer.address] }));
  await t.ok(w.writeContract({ address: token, abi: meshTokenAbi, functionName: 'approve', args: [settlement, maxUint256] }));
  await t.ok(w.writeContract({ address: settlement, abi: settlementAbi, functionName: 'deposit', args: [parseEther('1000000')] }));
  const genesisTime = await t.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'genesisTime' });
  const domain = domainOf(t.provider.chainId, settlement);
  const read = <F extends string>(address: Address, abi: any, functionName: F, args: unknown[] = []) => t.publicClient.readContract({ address, abi, functionName, args }) as Promise<any>;
  const s = {
    token,
    params,
    settlement,
    epoch: async () => (await read(settlement, settlementAbi, 'currentEpoch')) as bigint,
    travel: async (e: bigint) => {
      const target = Number(genesisTime) + Number(e) * t.profile.epochSeconds;
      const next = t.provider.nextTimestamp();
      if (target > next) await t.increaseTime(target - next);
    },
    settle: (rs: TestReceipt[]) => w.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settleBatch', args: [rs, rs.map((r) => signTestReceipt(t.deployer.privateKey, domain, r))] }),
    as: (who: typeof t.deployer, functionName: string, args: unknown[]) => t.walletOf(who).writeContract({ address: settlement, abi: settlementAbi, functionName, args } as never),
    read: (functionName: string, args: unknown[] = []) => read(settlement, settlementAbi, functionName, args),
    supply: async () => (await read(token, meshTokenAbi, 'totalSupply')) as bigint,
    balance: async (a: Address) => (await read(token, meshTokenAbi, 'balanceOf', [a])) as bigint,
    setParam: (id: number, v: bigint) => t.ok(w.writeContract({ address: params, abi: paramsAbi, functionName: 'set', args: [id, v] })),
    capSafe: async () => expect((await s.supply()) + ((await s.read('committed')) as bigint)).toBeLessThanOrEqual(CAP),
  };
  return s;
}

let t: TestChain;
beforeAll(async () => {
  t = await startTestChain();
});

describe('emission', () => {
  it('follows the halving schedule', async () => {
    const s = t.read.settlement.read;
    expect(await s.scheduledEmission([0n])).toBe(E0);
    expect(await s.scheduledEmission([364n])).toBe(E0);
    expect(await s.scheduledEmission([365n])).toBe(E0 >> 1n);
    expect(await s.scheduledEmission([730n])).toBe(E0 >> 2n);
    expect(await s.scheduledEmission([365n * 256n])).toBe(0n);
  });

  it('pays pro rata to work, capped by burn paid; claim once; finalize releases the rest', async () => {
    const s = await standalone(t);
    await s.setParam(0, 1n); // emissionRateBps = 1: budget E0 / 10,000, so the pro-rata share can bind
    const A = t.worker.address;
    const B = t.worker2.address;
    const e = await s.epoch();
    const ra = { requester: t.deployer.address, worker: A, cumulativeWork: 100n, cumulativeAmount: 100n * parseEther('10') };
    const rb = { requester: t.deployer.address, worker: B, cumulativeWork: 1n, cumulativeAmount: parseEther('0.001') };
    await t.ok(s.settle([ra, rb]));
    expect(await s.read('workerEpoch', [e, A])).toEqual([100n, (ra.cumulativeAmount * 2000n) / 10000n, false]);
    await expectRevert(s.as(t.worker, 'claimEmission', [e]), 'EpochNotEnded', [e]);

    await s.travel(e + 1n);
    const budget = (E0 * 1n) / 10000n;
    const burnA = (ra.cumulativeAmount * 2000n) / 10000n;
    const burnB = (rb.cumulativeAmount * 2000n) / 10000n;
    const rewardA = min((budget * 100n) / 101n, (burnA * 8000n) / 10000n);
    const rewardB = min((budget * 1n) / 101n, (burnB * 8000n) / 10000n);
    expect(rewardA).toBe((budget * 100n) / 101n); // pro rata binds for A
    expect(rewardB).toBe((burnB * 8000n) / 10000n); // burn cap binds for B
    expect(await s.read('pendingEmission', [e, A])).toBe(0n); // not closed yet
    const a0 = await s.balance(A);
    const supply0 = await s.supply();
    await t.ok(s.as(t.worker, 'claimEmission', [e]));
    expect(await s.balance(A)).toBe(a0 + rewardA);
    expect(await s.supply()).toBe(supply0 + rewardA);
    const info = await s.read('epochInfo', [e]);
    expect(info).toMatchObject({ budget, totalWork: 101n, claimed: rewardA, closed: true, finalized: false });
    expect(await s.read('committed')).toBe(budget - rewardA);
    expect(await s.read('pendingEmission', [e, B])).toBe(rewardB);
    await s.capSafe();

    await expectRevert(s.as(t.worker, 'claimEmission', [e]), 'EmissionAlreadyClaimed', [e, A]);
    // RULES.md: a claim without work mints 0 and still uses the worker's one claim
    const m0 = await s.balance(t.mallory.address);
    await t.ok(s.as(t.mallory, 'claimEmission', [e]));
    expect(await s.balance(t.mallory.address)).toBe(m0);
    expect(await s.read('committed')).toBe(budget - rewardA);
    await expectRevert(s.as(t.mallory, 'claimEmission', [e]), 'EmissionAlreadyClaimed', [e, t.mallory.address]);
    const b0 = await s.balance(B);
    await t.ok(s.as(t.mallory, 'claimEmissionFor', [e, B])); // anyone may pay the gas; minted to B
    expect(await s.balance(B)).toBe(b0 + rewardB);

    await expectRevert(s.as(t.mallory, 'finalizeEpoch', [e]), 'FinalizeTooEarly', [e]);
    await s.travel(e + 2n);
    await t.ok(s.as(t.mallory, 'finalizeEpoch', [e]));
    expect(await s.read('committed')).toBe(0n + 0n); // e+1 not closed yet, e released
    expect((await s.read('epochInfo', [e])).finalized).toBe(true);
    await expectRevert(s.as(t.mallory, 'finalizeEpoch', [e]), 'EpochAlreadyFinalized', [e]);
    await expectRevert(s.as(t.worker2, 'claimEmission', [e]), 'EpochAlreadyFinalized', [e]);
    await s.capSafe();
  });

  it('closes epochs in order, each with its budget committed', async () => {
    const s = await standalone(t);
    const e = await s.epoch();
    await s.travel(e + 5n);
    await expectRevert(s.as(t.mallory, 'closeEpoch', [e + 5n]), 'EpochNotEnded', [e + 5n]);
    await t.ok(s.as(t.mallory, 'closeEpoch', [e + 2n]));
    expect(await s.read('nextCloseEpoch')).toBe(e + 3n);
    expect(await s.read('committed')).toBe(3n * E0);
    await expectRevert(s.as(t.mallory, 'closeEpoch', [e + 1n]), 'EpochAlreadyClosed', [e + 1n]); // RULES.md: closes once
    expect(await s.read('committed')).toBe(3n * E0);
    await t.ok(s.as(t.mallory, 'finalizeEpoch', [e + 1n]));
    expect(await s.read('committed')).toBe(2n * E0);
    await s.capSafe();
  });

  it('never exceeds the cap: budgets shrink to the room left, whatever the claim order', async () => {
    const s = await standalone(t, { deployerMints: true });
    const w = t.walletOf(t.deployer);
    const room = parseEther('1000');
    await t.ok(w.writeContract({ address: s.token, abi: meshTokenAbi, functionName: 'mint', args: [t.rest[2]!.address, CAP - (await s.supply()) - room] }));
    const e = await s.epoch();
    const r = { requester: t.deployer.address, worker: t.worker.address, cumulativeWork: 10n, cumulativeAmount: parseEther('100') };
    await t.ok(s.settle([r])); // burns 20 MESH: room becomes 1,020 MESH
    await s.travel(e + 3n);
    await t.ok(s.as(t.mallory, 'closeEpoch', [e + 1n]));
    expect((await s.read('epochInfo', [e])).budget).toBe(room + parseEther('20'));
    expect((await s.read('epochInfo', [e + 1n])).budget).toBe(0n);
    await s.capSafe();
    await t.ok(s.as(t.worker, 'claimEmission', [e]));
    expect(await s.supply()).toBeLessThanOrEqual(CAP);
    await s.capSafe();
    await expectRevert(w.writeContract({ address: s.token, abi: meshTokenAbi, functionName: 'mint', args: [t.deployer.address, CAP] }), 'ERC20ExceededCap');
  });
});

function min(a: bigint, b: bigint) {
  return a < b ? a : b;
}
