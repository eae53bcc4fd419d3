// Equivocation slashing on the real compiled bytecode: two claims signed exactly as a worker signs
// them (src/jobs/claim.ts ClaimKey), every refusal with its custom error, slashing from bonded then
// unbonding oldest first, and the reporter / burn split exact to the wei against totalSupply.
import { describe, it, expect, beforeAll } from 'vitest';
import { bytesToHex, getAddress, hexToBytes, keccak256, maxUint256, parseEventLogs, toHex, type Address, type Hex } from 'viem';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ClaimKey, claimDigest, recoverClaimSigner, type ClaimBody } from '../../../src/jobs/claim.ts';
import type { PrivateKeyAccount } from 'viem/accounts';
import { stakingAbi } from '../../../src/chain/artifacts.ts';
import { account, deployStakingNetwork, reverts, MESH, LOCAL, type Network } from './staking-support.ts';

let deployer: PrivateKeyAccount;
const staker = account('staker');
const reporter = account('reporter');
const N = secp256k1.Point.CURVE().n;

const secret = (seed: string) => hexToBytes(keccak256(toHex(`tabmesh-slashing-test/${seed}`)));
const worker = ClaimKey.fromSecret(secret('worker'));
const worker2 = ClaimKey.fromSecret(secret('worker-2'));
const worker3 = ClaimKey.fromSecret(secret('worker-3'));
const stranger = ClaimKey.fromSecret(secret('stranger'));

const hex64 = (s: string) => keccak256(toHex(s)).slice(2);
const JOB = hex64('job-1');
const OUT_A = hex64('output-a');
const OUT_B = hex64('output-b');

const body = (jobId: string, unitIndex: number, outputHash: string): ClaimBody => ({ jobId, unitIndex, outputHash });
const sig = (k: ClaimKey, c: ClaimBody): Hex => bytesToHex(k.sign(c));
/** The malleable twin of a low-s signature: same signer for ecrecover, s above n/2. */
function highS(sigHex: Hex): Hex {
  const b = hexToBytes(sigHex);
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(b[i]!);
  const s2 = N - s;
  const out = b.slice();
  for (let i = 63; i >= 32; i--) out[i] = Number((s2 >> BigInt(8 * (63 - i))) & 0xffn);
  out[64] = b[64] === 27 ? 28 : 27;
  return bytesToHex(out);
}

let n: Network;
const bal = (a: Address) => n.c.read<bigint>(n.token, 'MeshToken', 'balanceOf', [a]);
const supply = () => n.c.read<bigint>(n.token, 'MeshToken', 'totalSupply');
const st = <T = bigint>(fn: string, args: unknown[] = []) => n.c.read<T>(n.staking, 'Staking', fn, args);
const report = (from: typeof reporter, op: string, jobId: string, unit: number, hA: string, sA: Hex, hB: string, sB: Hex, stakingAddr = n.staking) =>
  n.c.write(from, stakingAddr, 'Staking', 'reportEquivocation', [op, `0x${jobId}`, unit, `0x${hA}`, sA, `0x${hB}`, sB]);

beforeAll(async () => {
  n = await deployStakingNetwork([staker, reporter]);
  deployer = n.deployer;
  const c = n.c;
  await c.write(deployer, n.token, 'MeshToken', 'transfer', [staker.address, 100_000n * MESH]);
  await c.write(staker, n.token, 'MeshToken', 'approve', [n.staking, maxUint256]);
  await c.write(staker, n.staking, 'Staking', 'delegate', [staker.address]);
});

/** RULES.md, "Slashing": floor((bonded + unbonding) * slashBps / 1e4), reporter floor(slashed * reporterBps / 1e4). */
function expectedSplit(stake: bigint, slashBps = 5000n, reporterBps = 2000n) {
  const slashed = (stake * slashBps) / 10000n;
  const reward = (slashed * reporterBps) / 10000n;
  return { slashed, reward, burned: slashed - reward };
}

describe('Equivocation slashing', () => {
  it('the contract digest is the worker claim digest of src/jobs/claim.ts', async () => {
    for (const unit of [0, 3, 0xffffffff]) {
      const c = body(JOB, unit, OUT_A);
      expect(await st<Hex>('claimDigest', [`0x${JOB}`, unit, `0x${OUT_A}`])).toBe(bytesToHex(claimDigest(c)));
      expect(recoverClaimSigner(c, worker.sign(c))).toBe(worker.address);
    }
  });

  it('slashes on two valid conflicting claims: reporter share and burn exact to the wei', async () => {
    const stake = 1234n * MESH + 7n; // odd wei so both divisions round down
    await n.c.write(staker, n.staking, 'Staking', 'bond', [worker.address, stake]);
    const { slashed, reward, burned } = expectedSplit(stake);
    const [s0, r0, k0, v0] = [await supply(), await bal(reporter.address), await bal(n.staking), await st('getVotes', [staker.address])];

    const unit = 5;
    const r = await report(reporter, worker.address, JOB, unit, OUT_A, sig(worker, body(JOB, unit, OUT_A)), OUT_B, sig(worker, body(JOB, unit, OUT_B)));
    expect(r.status).toBe('success');
    console.log(`gas reportEquivocation (bonded only): ${r.gasUsed}`);
    const [ev] = parseEventLogs({ abi: stakingAbi, logs: r.logs, eventName: 'Slashed' });
    expect(ev?.args).toEqual({ operator: getAddress(worker.address), reporter: reporter.address, amount: slashed, burned, jobId: `0x${JOB}`, unit });

    expect(await bal(reporter.address)).toBe(r0 + reward);
    expect(await supply()).toBe(s0 - burned);
    expect(await bal(n.staking)).toBe(k0 - slashed);
    expect(await st('bonded', [worker.address])).toBe(stake - slashed);
    expect(await st('getVotes', [staker.address])).toBe(v0 - slashed);
    expect(await st('totalSlashed')).toBe(slashed);
    expect(await st('totalSlashBurned')).toBe(burned);
    expect(await st<boolean>('isSlashed', [worker.address, `0x${JOB}`, unit])).toBe(true);
    expect(await st<boolean>('isSlashed', [worker.address, `0x${JOB}`, unit + 1])).toBe(false);
    expect(await bal(n.staking)).toBe((await st('totalBonded')) + (await st('totalUnbonding')));
  });

  it('refuses: same hash, forged signature, wrong signer, high s, bad v, bad length, no stake', async () => {
    const unit = 9;
    const cA = body(JOB, unit, OUT_A);
    const cB = body(JOB, unit, OUT_B);
    const sA = sig(worker, cA);
    const sB = sig(worker, cB);
    const op = worker.address;

    expect(await reverts(report(reporter, op, JOB, unit, OUT_A, sA, OUT_A, sA), 'SameOutputHash')).toEqual([`0x${OUT_A}`]);

    // forged: B is the worker's signature over some other hash, presented as a claim of OUT_B
    const forged = sig(worker, body(JOB, unit, hex64('something-else')));
    const f = await reverts(report(reporter, op, JOB, unit, OUT_A, sA, OUT_B, forged), 'WrongSigner');
    expect(f[0]).toBe(1);
    expect((f[1] as string).toLowerCase()).not.toBe(op.toLowerCase());
    expect(f[2]).toBe(getAddress(op));
    // forged: random bytes
    const junk = bytesToHex(Uint8Array.from({ length: 65 }, (_, i) => (i === 64 ? 27 : i === 32 ? 0x10 : (i * 37 + 11) & 0xff)));
    await reverts(report(reporter, op, JOB, unit, OUT_A, sA, OUT_B, junk), 'WrongSigner');
    // the same unit signed by somebody else
    const w = await reverts(report(reporter, op, JOB, unit, OUT_A, sig(stranger, cA), OUT_B, sB), 'WrongSigner');
    expect(w).toEqual([0, getAddress(stranger.address), getAddress(op)]);
    // a different (job, unit) than the one signed
    await reverts(report(reporter, op, JOB, unit + 1, OUT_A, sA, OUT_B, sB), 'WrongSigner');
    // high s: the malleable twin recovers the same signer for ecrecover, and is refused
    const h = await reverts(report(reporter, op, JOB, unit, OUT_A, sA, OUT_B, highS(sB)), 'HighS');
    expect(h[0]).toBe(1);
    expect(() => recoverClaimSigner(cB, hexToBytes(highS(sB)))).toThrow(/lower half/);
    // v must be 27 or 28
    const badV = `${sB.slice(0, -2)}01` as Hex;
    expect(await reverts(report(reporter, op, JOB, unit, OUT_A, sA, OUT_B, badV), 'BadSignatureV')).toEqual([1, 1]);
    // 64-byte (EIP-2098 compact) signatures are not accepted
    expect(await reverts(report(reporter, op, JOB, unit, OUT_A, sA.slice(0, -2) as Hex, OUT_B, sB), 'BadSignatureLength')).toEqual([0, 64n]);
    // nothing of the above changed anything
    expect(await st<boolean>('isSlashed', [op, `0x${JOB}`, unit])).toBe(false);
  });

  it('an operator with no stake is slashed 0 and the offence is recorded all the same', async () => {
    const unit = 11;
    const s0 = await supply();
    const r = await report(reporter, stranger.address, JOB, unit, OUT_A, sig(stranger, body(JOB, unit, OUT_A)), OUT_B, sig(stranger, body(JOB, unit, OUT_B)));
    const [ev] = parseEventLogs({ abi: stakingAbi, logs: r.logs, eventName: 'Slashed' });
    expect(ev?.args).toMatchObject({ operator: getAddress(stranger.address), amount: 0n, burned: 0n, unit });
    expect(await supply()).toBe(s0);
    expect(await st<boolean>('isSlashed', [stranger.address, `0x${JOB}`, unit])).toBe(true);
    await reverts(report(reporter, stranger.address, JOB, unit, OUT_A, sig(stranger, body(JOB, unit, OUT_A)), OUT_B, sig(stranger, body(JOB, unit, OUT_B))), 'AlreadySlashed');
  });

  it('refuses a second report of the same (operator, jobId, unit), even with other hashes; another unit slashes again', async () => {
    const unit = 5; // slashed in the first test
    const hC = hex64('output-c');
    const a = await reverts(report(reporter, worker.address, JOB, unit, OUT_A, sig(worker, body(JOB, unit, OUT_A)), hC, sig(worker, body(JOB, unit, hC))), 'AlreadySlashed');
    expect(a).toEqual([getAddress(worker.address), `0x${JOB}`, unit]);
    const before = await st('bonded', [worker.address]);
    await report(reporter, worker.address, JOB, 6, OUT_A, sig(worker, body(JOB, 6, OUT_A)), OUT_B, sig(worker, body(JOB, 6, OUT_B)));
    expect(await st('bonded', [worker.address])).toBe(before - expectedSplit(before).slashed);
  });

  it('slashes stake in unbonding: bonded first, then unbonding entries oldest first', async () => {
    const op = worker2.address;
    await n.c.write(staker, n.staking, 'Staking', 'bond', [op, 1000n * MESH]);
    await n.c.write(staker, n.staking, 'Staking', 'unbond', [op, 700n * MESH]); // entry 1 (oldest)
    await n.c.warp(10);
    await n.c.write(staker, n.staking, 'Staking', 'unbond', [op, 200n * MESH]); // entry 2
    // bonded 100, unbonding 700 + 200: slashed = 500 = 100 bonded + 400 of entry 1
    const { slashed, burned } = expectedSplit(1000n * MESH);
    const s0 = await supply();
    const r = await report(reporter, op, JOB, 1, OUT_A, sig(worker2, body(JOB, 1, OUT_A)), OUT_B, sig(worker2, body(JOB, 1, OUT_B)));
    console.log(`gas reportEquivocation (bonded + 1 of 2 unbonding entries): ${r.gasUsed}`);
    expect(slashed).toBe(500n * MESH);
    expect(await st('bonded', [op])).toBe(0n);
    expect(await st('unbonding', [op])).toBe(500n * MESH);
    expect((await st<readonly [bigint[], bigint[]]>('unbondingEntries', [op]))[0]).toEqual([300n * MESH, 200n * MESH]);
    expect(await supply()).toBe(s0 - burned);

    // second fault while everything is unbonding: 250 from entry 1 (300 → 50), entry 2 untouched
    await report(reporter, op, JOB, 2, OUT_A, sig(worker2, body(JOB, 2, OUT_A)), OUT_B, sig(worker2, body(JOB, 2, OUT_B)));
    expect((await st<readonly [bigint[], bigint[]]>('unbondingEntries', [op]))[0]).toEqual([50n * MESH, 200n * MESH]);
    // a third takes 125: all of entry 1 (50) and 75 of entry 2 (200 → 125)
    const r3 = await report(reporter, op, JOB, 3, OUT_A, sig(worker2, body(JOB, 3, OUT_A)), OUT_B, sig(worker2, body(JOB, 3, OUT_B)));
    console.log(`gas reportEquivocation (2 unbonding entries walked): ${r3.gasUsed}`);
    expect((await st<readonly [bigint[], bigint[]]>('unbondingEntries', [op]))[0]).toEqual([125n * MESH]);
    expect(await st('getVotes', [staker.address])).toBe(await st('stakeOf', [staker.address]));

    // the survivor withdraws only what is left, after the delay
    await n.c.warp(LOCAL.unbondingDelay);
    const b0 = await bal(staker.address);
    await n.c.write(staker, n.staking, 'Staking', 'withdrawUnbonded', [op]);
    expect(await bal(staker.address)).toBe(b0 + 125n * MESH);
    expect(await st('unbonding', [op])).toBe(0n);
    expect(await bal(n.staking)).toBe((await st('totalBonded')) + (await st('totalUnbonding')));
  });

  it('follows Params: slashBps 100% and reporterBps 0 burn everything; the staker stays recorded', async () => {
    // A second Staking over a Params owned by the deployer (the network's Params is owned by the timelock).
    const params = await n.c.deploy(deployer, 'Params', [deployer.address]);
    await n.c.write(deployer, params, 'Params', 'set', [7, 10_000n]);
    await n.c.write(deployer, params, 'Params', 'set', [8, 0n]);
    const staking = await n.c.deploy(deployer, 'Staking', [n.token, params, LOCAL.unbondingDelay]);
    await n.c.write(staker, n.token, 'MeshToken', 'approve', [staking, maxUint256]);
    const op = worker3.address;
    await n.c.write(staker, staking, 'Staking', 'bond', [op, 333n * MESH + 1n]);
    const [s0, r0] = [await supply(), await bal(reporter.address)];
    await report(reporter, op, JOB, 1, OUT_A, sig(worker3, body(JOB, 1, OUT_A)), OUT_B, sig(worker3, body(JOB, 1, OUT_B)), staking);
    expect(await supply()).toBe(s0 - (333n * MESH + 1n));
    expect(await bal(reporter.address)).toBe(r0);
    expect(await n.c.read<bigint>(staking, 'Staking', 'bonded', [op])).toBe(0n);
    expect(await n.c.read<string>(staking, 'Staking', 'stakerOf', [op])).toBe(staker.address);
    expect(await bal(staking)).toBe(0n);
  });
});
