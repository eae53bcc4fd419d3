// Governance end to end on the real compiled bytecode: stake-weighted votes from Staking's
// checkpoints, proposal → vote → queue → timelock wait → execute Params.set; quorum, hard bounds
// at execution, snapshot semantics, delegation, proposal threshold, Params.set-only actions in
// order, and the RULES.md timing rule.
import { describe, it, expect, beforeAll } from 'vitest';
import { encodeFunctionData, keccak256, maxUint256, parseEventLogs, toHex, type Address, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { meshGovernorAbi, meshTokenAbi, paramsAbi, timelockControllerAbi } from '../../../src/chain/artifacts.ts';
import { account, deployStakingNetwork, reverts, MESH, LOCAL, type Network } from './staking-support.ts';

let deployer: PrivateKeyAccount;
const alice = account('alice'); // 10,000 MESH bonded: above threshold and quorum alone
const bob = account('bob'); // 200 MESH: below quorum (4% of total) and below the proposal threshold
const carol = account('carol'); // bonds only after a snapshot
const dave = account('dave'); // 1,200 MESH, delegates to alice

// ProposalState
const PENDING = 0, ACTIVE = 1, DEFEATED = 3, SUCCEEDED = 4, QUEUED = 5, EXECUTED = 7;
const BURN_BPS = 1;

let n: Network;
const gov = <T = bigint>(fn: string, args: unknown[] = []) => n.c.read<T>(n.governor, 'MeshGovernor', fn, args);
const st = <T = bigint>(fn: string, args: unknown[] = []) => n.c.read<T>(n.staking, 'Staking', fn, args);
const burnBps = () => n.c.read<bigint>(n.params, 'Params', 'burnBps');

interface Proposal {
  id: bigint;
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  descriptionHash: Hex;
  snapshot: bigint;
}

async function propose(from: typeof alice, targets: Address[], calldatas: Hex[], description: string): Promise<Proposal> {
  const values = targets.map(() => 0n);
  const r = await n.c.write(from, n.governor, 'MeshGovernor', 'propose', [targets, values, calldatas, description]);
  const [ev] = parseEventLogs({ abi: meshGovernorAbi, logs: r.logs, eventName: 'ProposalCreated' });
  const args = ev!.args as unknown as { proposalId: bigint; voteStart: bigint };
  return { id: args.proposalId, targets, values, calldatas, descriptionHash: keccak256(toHex(description)), snapshot: args.voteStart };
}
const setParam = (id: number, value: bigint) => encodeFunctionData({ abi: paramsAbi, functionName: 'set', args: [id, value] });
const vote = (from: typeof alice, p: Proposal, support: 0 | 1 | 2) => n.c.write(from, n.governor, 'MeshGovernor', 'castVote', [p.id, support]);
const queue = (p: Proposal) => n.c.write(alice, n.governor, 'MeshGovernor', 'queue', [p.targets, p.values, p.calldatas, p.descriptionHash]);
const execute = (p: Proposal) => n.c.write(alice, n.governor, 'MeshGovernor', 'execute', [p.targets, p.values, p.calldatas, p.descriptionHash]);
const stateOf = async (p: Proposal) => Number(await gov<number>('state', [p.id]));

async function bond(who: typeof alice, op: string, amount: bigint, delegatee: Address = who.address) {
  await n.c.write(who, n.staking, 'Staking', 'bond', [account(op).address, amount]);
  await n.c.write(who, n.staking, 'Staking', 'delegate', [delegatee]);
}

beforeAll(async () => {
  n = await deployStakingNetwork([alice, bob, carol, dave]);
  deployer = n.deployer;
  const c = n.c;
  for (const who of [alice, bob, carol, dave]) {
    await c.write(deployer, n.token, 'MeshToken', 'transfer', [who.address, 20_000n * MESH]);
    await c.write(who, n.token, 'MeshToken', 'approve', [n.staking, maxUint256]);
  }
  await bond(alice, 'op-alice', 10_000n * MESH);
  await bond(bob, 'op-bob', 200n * MESH);
  await c.warp(1);
});

describe('MeshGovernor', () => {
  it('is wired as RULES.md says: timestamp clock, delays, threshold 1,000 MESH, quorum 4% of bonded, timelock owns Params', async () => {
    expect(await gov<string>('CLOCK_MODE')).toBe('mode=timestamp');
    expect(await gov('votingDelay')).toBe(BigInt(LOCAL.votingDelay));
    expect(await gov('votingPeriod')).toBe(BigInt(LOCAL.votingPeriod));
    expect(await gov('proposalThreshold')).toBe(1_000n * MESH);
    expect(await gov('quorumNumerator')).toBe(4n);
    expect(await gov('unbondingDelay')).toBe(LOCAL.unbondingDelay);
    expect((await gov<string>('timelock')).toLowerCase()).toBe(n.timelock.toLowerCase());
    expect((await n.c.read<string>(n.params, 'Params', 'owner')).toLowerCase()).toBe(n.timelock.toLowerCase());
    const t = (await n.c.now()) - 1n;
    expect(await gov('quorum', [t])).toBe((10_200n * MESH * 4n) / 100n);
  });

  it('end to end: propose Params.set(burnBps, 3000), vote, queue, wait the timelock, execute', async () => {
    expect(await burnBps()).toBe(2000n);
    const p = await propose(alice, [n.params], [setParam(BURN_BPS, 3000n)], 'burnBps to 30%');
    expect(await stateOf(p)).toBe(ACTIVE); // votingDelay 0: active from the next second
    const v = await vote(alice, p, 1);
    console.log(`gas castVote: ${v.gasUsed}`);
    const [ev] = parseEventLogs({ abi: meshGovernorAbi, logs: v.logs, eventName: 'VoteCast' });
    expect((ev!.args as unknown as { weight: bigint }).weight).toBe(10_000n * MESH);
    await vote(bob, p, 0);
    const [against, forVotes] = await gov<readonly bigint[]>('proposalVotes', [p.id]);
    expect([against, forVotes]).toEqual([200n * MESH, 10_000n * MESH]);
    await reverts(queue(p), 'GovernorUnexpectedProposalState'); // still active

    await n.c.warp(LOCAL.votingPeriod);
    expect(await stateOf(p)).toBe(SUCCEEDED);
    const qr = await queue(p);
    console.log(`gas queue: ${qr.gasUsed}`);
    expect(await stateOf(p)).toBe(QUEUED);
    const eta = await gov('proposalEta', [p.id]);
    expect(eta).toBe((await n.c.now()) + LOCAL.timelockDelay);
    await reverts(execute(p), 'TimelockUnexpectedOperationState'); // timelock not elapsed
    expect(await burnBps()).toBe(2000n);

    await n.c.warp(LOCAL.timelockDelay);
    const er = await execute(p);
    console.log(`gas execute (Params.set): ${er.gasUsed}`);
    expect(await stateOf(p)).toBe(EXECUTED);
    expect(await burnBps()).toBe(3000n);
    const [pc] = parseEventLogs({ abi: paramsAbi, logs: er.logs, eventName: 'ParamChanged' });
    expect(pc?.args).toEqual({ id: BURN_BPS, oldValue: 2000n, newValue: 3000n });
  });

  it('Params refuses anyone but the timelock', async () => {
    await reverts(n.c.write(alice, n.params, 'Params', 'set', [BURN_BPS, 1000n]), 'OwnableUnauthorizedAccount');
  });

  it('a proposal without quorum is defeated and cannot be queued', async () => {
    const p = await propose(alice, [n.params], [setParam(BURN_BPS, 2500n)], 'burnBps to 25%, bob alone');
    await vote(bob, p, 1); // 200 of 10,200 MESH < 4%
    await n.c.warp(LOCAL.votingPeriod);
    expect(await stateOf(p)).toBe(DEFEATED);
    await reverts(queue(p), 'GovernorUnexpectedProposalState');
    expect(await burnBps()).toBe(3000n);
  });

  it('a passing proposal outside the hard bounds fails at execution and the parameter stays', async () => {
    const p = await propose(alice, [n.params], [setParam(BURN_BPS, 6000n)], 'burnBps to 60% (bound is 50%)');
    await vote(alice, p, 1);
    await n.c.warp(LOCAL.votingPeriod);
    expect(await stateOf(p)).toBe(SUCCEEDED);
    await queue(p);
    await n.c.warp(LOCAL.timelockDelay);
    expect(await reverts(execute(p), 'ParamOutOfBounds')).toEqual([BURN_BPS, 6000n]);
    expect(await stateOf(p)).toBe(QUEUED);
    expect(await burnBps()).toBe(3000n);
  });

  it('votes use the checkpointed stake at the snapshot: bonding later gives no power, unbonding later keeps it', async () => {
    const p = await propose(alice, [n.params], [setParam(BURN_BPS, 1500n)], 'burnBps to 15%, snapshot');
    await bond(carol, 'op-carol', 5_000n * MESH); // after the snapshot
    expect(await st('getVotes', [carol.address])).toBe(5_000n * MESH); // live power…
    expect(await gov('getVotes', [carol.address, p.snapshot])).toBe(0n); // …none at the snapshot
    const v = await vote(carol, p, 0);
    const [ev] = parseEventLogs({ abi: meshGovernorAbi, logs: v.logs, eventName: 'VoteCast' });
    expect((ev!.args as unknown as { weight: bigint }).weight).toBe(0n);
    // alice unbonds half after the snapshot: her vote still weighs the snapshot's 10,000
    await n.c.write(alice, n.staking, 'Staking', 'unbond', [account('op-alice').address, 5_000n * MESH]);
    const va = await vote(alice, p, 1);
    const [eva] = parseEventLogs({ abi: meshGovernorAbi, logs: va.logs, eventName: 'VoteCast' });
    expect((eva!.args as unknown as { weight: bigint }).weight).toBe(10_000n * MESH);
    const [against, forVotes] = await gov<readonly bigint[]>('proposalVotes', [p.id]);
    expect([against, forVotes]).toEqual([0n, 10_000n * MESH]);
    // and the quorum is 4% of what was bonded at the snapshot, not now
    expect(await gov('quorum', [p.snapshot])).toBe((10_200n * MESH * 4n) / 100n);
    // double voting is refused
    await reverts(vote(alice, p, 1), 'GovernorAlreadyCastVote');
    // re-bond for the following tests
    await n.c.write(alice, n.staking, 'Staking', 'bond', [account('op-alice').address, 5_000n * MESH]);
  });

  it('delegation moves voting power, and the threshold is checked on the proposer\'s votes', async () => {
    await reverts(propose(bob, [n.params], [setParam(BURN_BPS, 1000n)], 'bob proposes'), 'GovernorInsufficientProposerVotes');
    await bond(dave, 'op-dave', 1_200n * MESH, alice.address); // dave's stake votes through alice
    expect(await st('getVotes', [dave.address])).toBe(0n);
    expect(await st('getVotes', [alice.address])).toBe(11_200n * MESH);
    await n.c.warp(1);
    const p = await propose(alice, [n.params], [setParam(BURN_BPS, 1000n)], 'burnBps to 10%, delegated');
    const v = await vote(alice, p, 1);
    const [ev] = parseEventLogs({ abi: meshGovernorAbi, logs: v.logs, eventName: 'VoteCast' });
    expect((ev!.args as unknown as { weight: bigint }).weight).toBe(11_200n * MESH);
    const vd = await vote(dave, p, 0);
    const [evd] = parseEventLogs({ abi: meshGovernorAbi, logs: vd.logs, eventName: 'VoteCast' });
    expect((evd!.args as unknown as { weight: bigint }).weight).toBe(0n);
    // dave takes his power back to himself: alice loses it, dave gains it (for later snapshots)
    await n.c.write(dave, n.staking, 'Staking', 'delegate', [dave.address]);
    expect(await st('getVotes', [alice.address])).toBe(10_000n * MESH);
    expect(await st('getVotes', [dave.address])).toBe(1_200n * MESH);
    await n.c.warp(1);
    const p2 = await propose(dave, [n.params], [setParam(BURN_BPS, 1000n)], 'dave can propose now');
    expect(await stateOf(p2)).toBe(ACTIVE);
    expect([PENDING, ACTIVE]).toContain(await stateOf(p));
  });

  it('keeps unbondingDelay > votingPeriod + timelockDelay at deployment', async () => {
    // 120 > 100 + 30 is false
    const a = await reverts(n.c.deploy(deployer, 'MeshGovernor', [n.staking, n.timelock, 0, 100]), 'UnsafeTiming');
    expect(a).toEqual([120n, 100n, 30n]);
    await reverts(n.c.deploy(deployer, 'MeshGovernor', [n.staking, n.timelock, 0, 90]), 'UnsafeTiming'); // equal is not enough
    await n.c.deploy(deployer, 'MeshGovernor', [n.staking, n.timelock, 0, 89]);
  });

  it('refuses any action but Params.set: other targets, other functions, ether, the timelock, the governor itself', async () => {
    const tlAbi = timelockControllerAbi;
    const govAbi = meshGovernorAbi;
    const tokenAbi = meshTokenAbi;
    const cases: [Address, bigint, Hex, string][] = [
      [n.timelock, 0n, encodeFunctionData({ abi: tlAbi, functionName: 'updateDelay', args: [61n] }), 'timelock delay'],
      [n.governor, 0n, encodeFunctionData({ abi: govAbi, functionName: 'setVotingPeriod', args: [100] }), 'voting period'],
      [n.token, 0n, encodeFunctionData({ abi: tokenAbi, functionName: 'transfer', args: [alice.address, MESH] }), 'treasury spend'],
      [n.params, 0n, encodeFunctionData({ abi: paramsAbi, functionName: 'transferOwnership', args: [alice.address] }), 'params owner'],
      [n.params, 1n, setParam(BURN_BPS, 1000n), 'ether with set'],
      [n.token, 0n, setParam(BURN_BPS, 1000n), 'set on another contract'],
      [n.params, 0n, `${setParam(BURN_BPS, 1000n)}00` as Hex, 'set with trailing bytes'],
    ];
    for (const [target, value, data, what] of cases) {
      let args: readonly unknown[];
      try {
        args = await reverts(
          n.c.write(alice, n.governor, 'MeshGovernor', 'propose', [[n.params, target], [0n, value], [setParam(BURN_BPS, 1000n), data], what]),
          'ActionNotAllowed',
        );
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
      expect(args[0], what).toBe(1n);
      expect((args[1] as string).toLowerCase(), what).toBe(target.toLowerCase());
      expect(args[2], what).toBe(value);
      expect(args[3], what).toBe(data.slice(0, 10));
    }
  });

  it('runs actions in order (dependent bounds see earlier values) and reverts them all if one fails', async () => {
    const TREASURY_BPS = 2;
    const treasury = () => n.c.read<bigint>(n.params, 'Params', 'treasuryBps');
    const run = async (actions: Hex[], what: string) => {
      const p = await propose(alice, actions.map(() => n.params), actions, what);
      await vote(alice, p, 1);
      await n.c.warp(LOCAL.votingPeriod);
      await queue(p);
      await n.c.warp(LOCAL.timelockDelay);
      return p;
    };
    const before = [await burnBps(), await treasury()];
    // treasury 2000 first: burn's bound becomes min(5000, 6000 - 2000) = 4000, so burn 4500 fails, and the treasury change with it
    const bad = await run([setParam(TREASURY_BPS, 2000n), setParam(BURN_BPS, 4500n)], 'treasury 20%, burn 45%');
    expect(await reverts(execute(bad), 'ParamOutOfBounds')).toEqual([BURN_BPS, 4500n]);
    expect([await burnBps(), await treasury()]).toEqual(before);
    // burn 4000 within the new bound passes
    const good = await run([setParam(TREASURY_BPS, 2000n), setParam(BURN_BPS, 4000n)], 'treasury 20%, burn 40%');
    await execute(good);
    expect([await burnBps(), await treasury()]).toEqual([4000n, 2000n]);
  });

  it('reports the gas of a proposal and a vote', async () => {
    const r = await n.c.write(alice, n.governor, 'MeshGovernor', 'propose', [[n.params], [0n], [setParam(BURN_BPS, 2000n)], 'gas probe']);
    console.log(`gas propose (1 action): ${r.gasUsed}`);
    expect(r.status).toBe('success');
  });
});
