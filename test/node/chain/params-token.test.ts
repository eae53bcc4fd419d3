/** Params hard bounds and the token's genesis, cap and roles, on the compiled bytecode. */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEther, zeroAddress, type Address } from 'viem';
import { Params, paramsAbi } from '../../../src/chain/artifacts.ts';
import { expectRevert, startTestChain, type TestChain } from './support.ts';

let t: TestChain;
let params: Address;
const set = (id: number, v: bigint, who = t.deployer) => t.walletOf(who).writeContract({ address: params, abi: paramsAbi, functionName: 'set', args: [id, v] });
const get = (id: number) => t.publicClient.readContract({ address: params, abi: paramsAbi, functionName: 'get', args: [id] });

beforeAll(async () => {
  t = await startTestChain();
  const r = await t.ok(t.walletOf(t.deployer).deployContract({ abi: Params.abi, bytecode: Params.bytecode, args: [t.deployer.address] }));
  params = r.contractAddress!;
});

const DEFAULTS = [10_000n, 2_000n, 500n, parseEther('100'), 2n, parseEther('0.001'), parseEther('10'), 5_000n, 2_000n, 8_000n];

describe('Params', () => {
  it('starts at the RULES.md defaults, by id and by name', async () => {
    for (let id = 0; id < 10; id++) expect(await get(id)).toBe(DEFAULTS[id]);
    expect(await t.read.params.read.all()).toEqual(DEFAULTS);
    expect(await t.read.params.read.minStake()).toBe(parseEther('100'));
    expect(await t.read.params.read.slashBps()).toBe(5_000n);
    expect(await t.read.params.read.reporterBps()).toBe(2_000n);
    await expectRevert(get(10), 'UnknownParam', [10]);
  });

  it('accepts values at the hard bounds and refuses one past them with ParamOutOfBounds(id, value)', async () => {
    const cases: [number, bigint, bigint][] = [
      [0, 0n, 10_000n],
      [3, parseEther('1'), parseEther('5000')],
      [4, 1n, 5n],
      [7, 1_000n, 10_000n],
      [8, 0n, 5_000n],
      [9, 0n, 10_000n],
    ];
    for (const [id, lo, hi] of cases) {
      await t.ok(set(id, lo));
      await t.ok(set(id, hi));
      await expectRevert(set(id, hi + 1n), 'ParamOutOfBounds', [id, hi + 1n]);
      if (lo > 0n) await expectRevert(set(id, lo - 1n), 'ParamOutOfBounds', [id, lo - 1n]);
      expect(await get(id)).toBe(hi);
    }
  });

  it('keeps burn + treasury <= 6,000 bps and min price <= max price', async () => {
    await t.ok(set(1, 5_000n));
    await expectRevert(set(2, 1_001n), 'ParamOutOfBounds', [2, 1_001n]);
    await t.ok(set(2, 1_000n));
    await expectRevert(set(1, 5_001n), 'ParamOutOfBounds', [1, 5_001n]);
    await t.ok(set(1, 0n));
    await t.ok(set(2, 2_000n));
    await expectRevert(set(2, 2_001n), 'ParamOutOfBounds', [2, 2_001n]);
    await expectRevert(set(5, 10n ** 9n - 1n), 'ParamOutOfBounds', [5, 10n ** 9n - 1n]);
    await expectRevert(set(5, parseEther('10') + 1n), 'ParamOutOfBounds', [5, parseEther('10') + 1n]);
    await t.ok(set(5, parseEther('10')));
    await expectRevert(set(6, parseEther('10') - 1n), 'ParamOutOfBounds', [6, parseEther('10') - 1n]);
    await expectRevert(set(6, parseEther('1000') + 1n), 'ParamOutOfBounds', [6, parseEther('1000') + 1n]);
    await t.ok(set(6, parseEther('1000')));
    await t.ok(set(5, 10n ** 9n));
    await expectRevert(set(10, 0n), 'UnknownParam', [10]);
  });

  it('only the owner sets, and each change emits ParamChanged', async () => {
    await expectRevert(set(4, 3n, t.mallory), 'OwnableUnauthorizedAccount', [t.mallory.address]);
    const r = await t.ok(set(4, 3n));
    const logs = await t.publicClient.getContractEvents({ address: params, abi: paramsAbi, eventName: 'ParamChanged', blockHash: r.blockHash });
    expect(logs[0]?.args).toEqual({ id: 4, oldValue: 5n, newValue: 3n });
  });

  it('in the deployed network, governance (the timelock) owns Params when MeshGovernor is built', async () => {
    const owner = await t.read.params.read.owner();
    expect(owner).toBe(t.addresses.governor ? t.addresses.timelock : t.deployer.address);
    await expectRevert(t.as(t.deployer).params.write.set([4, 3n]), 'OwnableUnauthorizedAccount');
  });
});

describe('MeshToken', () => {
  it('mints the genesis allocation to treasury and faucet, visible as Transfer events', async () => {
    const tok = t.read.token;
    expect(await tok.read.name()).toBe('MESH');
    expect(await tok.read.cap()).toBe(10n ** 27n);
    const logs = await tok.getEvents.Transfer({ from: zeroAddress }, { fromBlock: 0n });
    expect(logs.slice(0, 2).map((l) => [l.args.to, l.args.value])).toEqual([
      [t.addresses.treasury, parseEther('100000000')],
      [t.addresses.faucet, parseEther('50000000')],
    ]);
  });

  it('only Settlement mints; anyone burns their own; burnFrom needs an allowance', async () => {
    const minter = await t.read.token.read.MINTER_ROLE();
    expect(await t.read.token.read.hasRole([minter, t.addresses.settlement])).toBe(true);
    await expectRevert(t.as(t.deployer).token.write.mint([t.deployer.address, 1n]), 'AccessControlUnauthorizedAccount', [t.deployer.address, minter]);
    const s0 = await t.read.token.read.totalSupply();
    await t.ok(t.as(t.worker).token.write.burn([parseEther('1')]));
    expect(await t.read.token.read.totalSupply()).toBe(s0 - parseEther('1'));
    await expectRevert(t.as(t.mallory).token.write.burnFrom([t.worker.address, 1n]), 'ERC20InsufficientAllowance');
  });
});
