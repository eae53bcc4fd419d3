// Staking on the real compiled bytecode in @ethereumjs/vm through viem: bond, unbond with the delay
// enforced, withdraw, eligibility, voting units = bonded stake, refusals with their custom errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { maxUint256, parseEventLogs, type Address } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { stakingAbi } from '../../../src/chain/artifacts.ts';
import { account, deployStakingNetwork, reverts, MESH, LOCAL, type Network } from './staking-support.ts';

let deployer: PrivateKeyAccount;
const alice = account('alice');
const bob = account('bob');
const op1 = account('operator-1').address;
const op2 = account('operator-2').address;
const op3 = account('operator-3').address;

let n: Network;
const bal = (a: Address) => n.c.read<bigint>(n.token, 'MeshToken', 'balanceOf', [a]);
const st = <T = bigint>(fn: string, args: unknown[] = []) => n.c.read<T>(n.staking, 'Staking', fn, args);

beforeAll(async () => {
  n = await deployStakingNetwork([alice, bob]);
  deployer = n.deployer;
  const c = n.c;
  for (const who of [alice, bob]) {
    await c.write(deployer, n.token, 'MeshToken', 'transfer', [who.address, 10_000n * MESH]);
    await c.write(who, n.token, 'MeshToken', 'approve', [n.staking, maxUint256]);
  }
});

describe('Staking', () => {
  it('exposes the timestamp clock and the constructor arguments', async () => {
    expect(await st<string>('CLOCK_MODE')).toBe('mode=timestamp');
    expect(await st('unbondingDelay')).toBe(LOCAL.unbondingDelay);
    expect((await st<string>('token')).toLowerCase()).toBe(n.token.toLowerCase());
    const eip712 = await st<readonly unknown[]>('eip712Domain');
    expect(eip712[1]).toBe('tabmesh-staking');
    expect(eip712[2]).toBe('1');
  });

  it('bond: pulls the tokens, records the first bonder as staker, credits voting units to it', async () => {
    const before = await bal(alice.address);
    const r = await n.c.write(alice, n.staking, 'Staking', 'bond', [op1, 150n * MESH]);
    expect(r.status).toBe('success');
    console.log(`gas bond (first, new operator): ${r.gasUsed}`);
    const [ev] = parseEventLogs({ abi: stakingAbi, logs: r.logs, eventName: 'Bonded' });
    expect(ev?.args).toMatchObject({ operator: op1, staker: alice.address, amount: 150n * MESH, bonded: 150n * MESH });
    expect(await bal(alice.address)).toBe(before - 150n * MESH);
    expect(await bal(n.staking)).toBe(150n * MESH);
    expect(await st('bonded', [op1])).toBe(150n * MESH);
    expect((await st<string>('stakerOf', [op1])).toLowerCase()).toBe(alice.address.toLowerCase());
    expect(await st('stakeOf', [alice.address])).toBe(150n * MESH);
    expect(await st('totalBonded')).toBe(150n * MESH);
    // undelegated units exist (total supply of votes) but nobody votes with them yet
    expect(await st('getVotes', [alice.address])).toBe(0n);
    await n.c.write(alice, n.staking, 'Staking', 'delegate', [alice.address]);
    expect(await st('getVotes', [alice.address])).toBe(150n * MESH);
    const r2 = await n.c.write(alice, n.staking, 'Staking', 'bond', [op1, 10n * MESH]);
    console.log(`gas bond (top-up, delegated): ${r2.gasUsed}`);
    expect(await st('getVotes', [alice.address])).toBe(160n * MESH);
  });

  it('only the staker adds to or unbonds an operator; zero and empty inputs are refused', async () => {
    const a = await reverts(n.c.write(bob, n.staking, 'Staking', 'bond', [op1, MESH]), 'NotStaker');
    expect(a).toEqual([op1, alice.address, bob.address]);
    await reverts(n.c.write(bob, n.staking, 'Staking', 'unbond', [op1, MESH]), 'NotStaker');
    await reverts(n.c.write(bob, n.staking, 'Staking', 'withdrawUnbonded', [op1]), 'NothingToWithdraw');
    await reverts(n.c.write(alice, n.staking, 'Staking', 'bond', [op2, 0n]), 'ZeroAmount');
    await reverts(n.c.write(alice, n.staking, 'Staking', 'bond', ['0x0000000000000000000000000000000000000000', MESH]), 'ZeroOperator');
    const b = await reverts(n.c.write(alice, n.staking, 'Staking', 'unbond', [op1, 1000n * MESH]), 'InsufficientBonded');
    expect(b).toEqual([op1, 160n * MESH, 1000n * MESH]);
    // a bonder without allowance or balance fails in the token
    const carol = account('carol');
    await n.c.setBalance(carol.address, 10n ** 20n);
    await reverts(n.c.write(carol, n.staking, 'Staking', 'bond', [op3, MESH]), 'ERC20InsufficientAllowance');
  });

  it('isEligible follows params.minStake (100 MESH) on bonded stake only', async () => {
    expect(await st<boolean>('isEligible', [op1])).toBe(true);
    await n.c.write(bob, n.staking, 'Staking', 'bond', [op2, 100n * MESH - 1n]);
    expect(await st<boolean>('isEligible', [op2])).toBe(false);
    await n.c.write(bob, n.staking, 'Staking', 'bond', [op2, 1n]);
    expect(await st<boolean>('isEligible', [op2])).toBe(true);
    await n.c.write(bob, n.staking, 'Staking', 'unbond', [op2, 1n]);
    expect(await st<boolean>('isEligible', [op2])).toBe(false);
    expect(await st<boolean>('isEligible', [op3])).toBe(false);
  });

  it('unbond: moves stake to unbonding, drops voting units, and withdrawal waits unbondingDelay', async () => {
    const r = await n.c.write(alice, n.staking, 'Staking', 'unbond', [op1, 60n * MESH]);
    console.log(`gas unbond: ${r.gasUsed}`);
    const [ev] = parseEventLogs({ abi: stakingAbi, logs: r.logs, eventName: 'UnbondRequested' });
    const t0 = (await n.c.now());
    expect(ev?.args).toMatchObject({ operator: op1, staker: alice.address, amount: 60n * MESH, releaseAt: t0 + LOCAL.unbondingDelay });
    expect(await st('bonded', [op1])).toBe(100n * MESH);
    expect(await st('unbonding', [op1])).toBe(60n * MESH);
    expect(await st('getVotes', [alice.address])).toBe(100n * MESH);
    expect(await st('totalUnbonding')).toBe(60n * MESH + 1n); // + bob's 1 wei on op2
    // the checkpoint keeps the past: before the unbond alice had 160
    expect(await st('getPastVotes', [alice.address, t0 - 1n])).toBe(160n * MESH);

    const early = await reverts(n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op1]), 'NothingToWithdraw');
    expect(early).toEqual([op1, t0 + LOCAL.unbondingDelay]);
    // a second unbond 50 s later is a second entry with its own release time
    await n.c.warp(49);
    await n.c.write(alice, n.staking, 'Staking', 'unbond', [op1, 10n * MESH]);
    const t1 = (await n.c.now());
    const [amounts, releases] = await st<readonly [bigint[], bigint[]]>('unbondingEntries', [op1]);
    expect(amounts).toEqual([60n * MESH, 10n * MESH]);
    expect(releases).toEqual([t0 + LOCAL.unbondingDelay, t1 + LOCAL.unbondingDelay]);

    // one second before release: still refused (a call runs in the next block, at now + 1)
    await n.c.warp(t0 + LOCAL.unbondingDelay - (await n.c.now()) - 2n);
    await reverts(n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op1]), 'NothingToWithdraw');
    // at the release second: the first entry only
    await n.c.warp(1);
    const before = await bal(alice.address);
    const w = await n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op1]);
    expect((await n.c.now())).toBe(t0 + LOCAL.unbondingDelay);
    console.log(`gas withdrawUnbonded (1 entry): ${w.gasUsed}`);
    const [wev] = parseEventLogs({ abi: stakingAbi, logs: w.logs, eventName: 'Withdrawn' });
    expect(wev?.args).toMatchObject({ operator: op1, staker: alice.address, amount: 60n * MESH });
    expect(await bal(alice.address)).toBe(before + 60n * MESH);
    expect(await st('unbonding', [op1])).toBe(10n * MESH);
    await reverts(n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op1]), 'NothingToWithdraw');
    await n.c.warp(LOCAL.unbondingDelay);
    await n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op1]);
    expect(await bal(alice.address)).toBe(before + 70n * MESH);
    expect(await st('unbonding', [op1])).toBe(0n);
    expect(await st('withdrawable', [op1])).toBe(0n);
    expect(await bal(n.staking)).toBe((await st('totalBonded')) + (await st('totalUnbonding')));
  });

  it('caps pending unbonding entries (16) so a slash walk stays bounded', async () => {
    const max = await st('MAX_UNBONDING_ENTRIES');
    for (let i = 0n; i < max; i++) await n.c.write(alice, n.staking, 'Staking', 'unbond', [op1, MESH]);
    const args = await reverts(n.c.write(alice, n.staking, 'Staking', 'unbond', [op1, MESH]), 'TooManyUnbondingEntries');
    expect(args).toEqual([op1, max]);
    await n.c.warp(LOCAL.unbondingDelay);
    const w = await n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op1]);
    console.log(`gas withdrawUnbonded (${max} entries): ${w.gasUsed}`);
    expect(await st('unbonding', [op1])).toBe(0n);
    expect((await st<readonly [bigint[], bigint[]]>('unbondingEntries', [op1]))[0]).toEqual([]);
  });

  it('anyone may withdraw released stake, always to the staker; the staker stays recorded at zero stake', async () => {
    await n.c.write(bob, n.staking, 'Staking', 'unbond', [op2, await st('bonded', [op2])]);
    await n.c.warp(LOCAL.unbondingDelay);
    const [a0, b0] = [await bal(alice.address), await bal(bob.address)];
    const w = await n.c.write(alice, n.staking, 'Staking', 'withdrawUnbonded', [op2]); // alice pays the gas, bob gets the money
    const [ev] = parseEventLogs({ abi: stakingAbi, logs: w.logs, eventName: 'Withdrawn' });
    expect(ev?.args).toMatchObject({ operator: op2, staker: bob.address, amount: 100n * MESH });
    expect(await bal(bob.address)).toBe(b0 + 100n * MESH);
    expect(await bal(alice.address)).toBe(a0);
    expect(await st('bonded', [op2])).toBe(0n);
    expect(await st('unbonding', [op2])).toBe(0n);
    expect((await st<string>('stakerOf', [op2])).toLowerCase()).toBe(bob.address.toLowerCase());
    await reverts(n.c.write(alice, n.staking, 'Staking', 'bond', [op2, MESH]), 'NotStaker');
    await n.c.write(bob, n.staking, 'Staking', 'bond', [op2, MESH]);
    expect(await st('bonded', [op2])).toBe(MESH);
  });

  it('voting units sum over a staker\'s operators and follow delegation', async () => {
    await n.c.write(alice, n.staking, 'Staking', 'bond', [op3, 5n * MESH]);
    const stake = await st('stakeOf', [alice.address]);
    expect(stake).toBe((await st('bonded', [op1])) + (await st('bonded', [op3])));
    expect(await st('getVotes', [alice.address])).toBe(stake);
    await n.c.write(alice, n.staking, 'Staking', 'delegate', [bob.address]);
    expect(await st('getVotes', [alice.address])).toBe(0n);
    expect(await st('getVotes', [bob.address])).toBe(stake);
    await n.c.write(alice, n.staking, 'Staking', 'delegate', [alice.address]);
    expect(await st('getVotes', [bob.address])).toBe(0n);
  });
});
