/**
 * The demo's chain: the local network (real EVM, contracts, dev faucet) served on 127.0.0.1, a
 * governance round run by a dev account while the job runs (bond, delegate, propose a parameter
 * change, vote; then, after the job, queue and execute past the timelock), and the figures the
 * SUMMARY line reports, read from the chain with viem.
 *
 * Time on the local chain is moved forward by mining a block at a later timestamp
 * (`evm_mine(ts)`), never by waiting: the local profile's voting period (60 s) and timelock (30 s)
 * would otherwise dominate the run.
 */
import { custom, encodeFunctionData, keccak256, parseEther, parseEventLogs, stringToBytes, type Address, type Hex } from 'viem';
import { GENESIS_SUPPLY, ParamId } from '../src/economy/params.ts';
import { startLocalChain, type LocalChain } from '../src/chain/local.ts';
import { ChainServer } from '../src/chain/server.ts';
import { withDevFaucet } from '../src/chain/faucet.ts';
import { devAccount, type DevAccount } from '../src/chain/dev-accounts.ts';
import { createChainClients, localChain, networkContracts } from '../src/chain/clients.ts';
import { meshGovernorAbi, meshTokenAbi, paramsAbi, settlementAbi, stakingAbi } from '../src/chain/artifacts.ts';
import type { ChainConfig } from '../src/chain/config.ts';
import type { ChainProvider } from '../src/chain/provider.ts';

export interface DemoChain {
  chain: LocalChain;
  provider: ChainProvider;
  server: ChainServer;
  config: ChainConfig;
  /** Mines a block `seconds` after the chain's head. */
  advance(seconds: number): Promise<void>;
  clients(who?: DevAccount): ReturnType<typeof clientsFor>;
  close(): Promise<void>;
}

function clientsFor(provider: ChainProvider, chainId: number, who?: DevAccount) {
  return createChainClients({ transport: custom(provider), chain: localChain(chainId), account: who?.account });
}

export async function startDemoChain(): Promise<DemoChain> {
  const chain = await startLocalChain({ dataDir: null, demoAccounts: 4 });
  const provider = withDevFaucet(chain.provider, { token: chain.addresses.token, faucet: devAccount(0) });
  const server = new ChainServer({ provider, port: 0 });
  await server.start();
  const config: ChainConfig = { rpcUrl: server.url, chainId: chain.addresses.chainId, addresses: chain.addresses, faucet: true };
  const { publicClient } = clientsFor(provider, config.chainId);
  return {
    chain,
    provider,
    server,
    config,
    async advance(seconds) {
      const head = await publicClient.getBlock({ blockTag: 'latest' });
      await provider.request({ method: 'evm_mine' as never, params: [`0x${(head.timestamp + BigInt(seconds)).toString(16)}`] as never });
    },
    clients: (who) => clientsFor(provider, config.chainId, who),
    close: () => server.stop(),
  };
}

const BURN_BPS = ParamId.burnBps;

export interface GovernanceRound {
  proposalId: bigint;
  description: string;
  /** Queue and execute once the voting period is over (moves chain time); returns the outcome. */
  finish(): Promise<{ executed: boolean; param: string; from: bigint; to: bigint; state: string }>;
}

const STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed'];

/**
 * Dev account 1 bonds 10,000 MESH, delegates to itself and proposes `Params.set(burnBps, to)`;
 * it and dev account 2 (200 MESH, against) vote. Quorum is 4% of bonded votes: the contributors'
 * own stakes count in the total.
 */
export async function startGovernanceRound(d: DemoChain, to = 2500n): Promise<GovernanceRound> {
  const a = d.config.addresses;
  if (!a.staking || !a.governor) throw new Error('the network has no Staking/MeshGovernor deployed');
  const alice = devAccount(1);
  const bob = devAccount(2);
  const { walletClient: aw, publicClient } = d.clients(alice);
  const wait = async (hash: Hex) => {
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== 'success') throw new Error(`governance: transaction ${hash} reverted`);
    return r;
  };
  for (const [who, amount] of [
    [alice, parseEther('10000')],
    [bob, parseEther('200')],
  ] as const) {
    const { walletClient } = d.clients(who);
    await wait(await walletClient.writeContract({ address: a.token, abi: meshTokenAbi, functionName: 'approve', args: [a.staking, amount] }));
    await wait(await walletClient.writeContract({ address: a.staking, abi: stakingAbi, functionName: 'bond', args: [who.address, amount] }));
    await wait(await walletClient.writeContract({ address: a.staking, abi: stakingAbi, functionName: 'delegate', args: [who.address] }));
  }
  // Votes are read at clock() - 1: let a second pass after the delegation checkpoint.
  await d.advance(1);
  const targets = [a.params];
  const values = [0n];
  const calldatas = [encodeFunctionData({ abi: paramsAbi, functionName: 'set', args: [BURN_BPS, to] })];
  const description = `demo: burnBps ${to}`;
  const proposed = await wait(await aw.writeContract({ address: a.governor, abi: meshGovernorAbi, functionName: 'propose', args: [targets, values, calldatas, description] }));
  const [created] = parseEventLogs({ abi: meshGovernorAbi, logs: proposed.logs, eventName: 'ProposalCreated' });
  const proposalId = (created!.args as unknown as { proposalId: bigint }).proposalId;
  await d.advance(1);
  await wait(await aw.writeContract({ address: a.governor, abi: meshGovernorAbi, functionName: 'castVote', args: [proposalId, 1] }));
  await wait(await d.clients(bob).walletClient.writeContract({ address: a.governor, abi: meshGovernorAbi, functionName: 'castVote', args: [proposalId, 0] }));
  const descriptionHash = keccak256(stringToBytes(description));
  const from = (await publicClient.readContract({ address: a.params, abi: paramsAbi, functionName: 'get', args: [BURN_BPS] })) as bigint;
  return {
    proposalId,
    description,
    async finish() {
      const state = async () => STATES[Number(await publicClient.readContract({ address: a.governor!, abi: meshGovernorAbi, functionName: 'state', args: [proposalId] }))] ?? '?';
      await d.advance(a.profile.votingPeriod + 1);
      if ((await state()) !== 'Succeeded') return { executed: false, param: 'burnBps', from, to, state: await state() };
      await wait(await aw.writeContract({ address: a.governor!, abi: meshGovernorAbi, functionName: 'queue', args: [targets, values, calldatas, descriptionHash] }));
      await d.advance(a.profile.timelockDelay + 1);
      await wait(await aw.writeContract({ address: a.governor!, abi: meshGovernorAbi, functionName: 'execute', args: [targets, values, calldatas, descriptionHash] }));
      const now = (await publicClient.readContract({ address: a.params, abi: paramsAbi, functionName: 'get', args: [BURN_BPS] })) as bigint;
      return { executed: (await state()) === 'Executed' && now === to, param: 'burnBps', from, to: now, state: await state() };
    },
  };
}

export interface ChainFigures {
  receiptsSettled: number;
  /** worker → settled amount on the contract (Σ over requesters), wei as decimal strings. */
  onChainBalances: Record<string, string>;
  anchoredRoot: Hex | null;
  anchoredEpochs: number;
  gasPerUnit: number | null;
  settleGas: string;
  unitsSettled: string;
  totalSupply: string;
  emitted: string;
  burned: string;
  staked: string;
  slashed: string;
  treasury: string;
}

/** What the chain says after the run, from its state and events (scanned from the deployment). */
export async function chainFigures(d: DemoChain): Promise<ChainFigures> {
  const a = d.config.addresses;
  const { publicClient } = d.clients();
  const c = networkContracts(a, { public: publicClient });
  const logs = await publicClient.getLogs({ fromBlock: BigInt(a.deployBlock), toBlock: 'latest' });
  const settlementLogs = parseEventLogs({ abi: settlementAbi, logs: logs.filter((l) => l.address.toLowerCase() === a.settlement.toLowerCase()) });
  const balances = new Map<string, bigint>();
  const latest = new Map<string, bigint>();
  let receiptsSettled = 0;
  let units = 0n;
  let emitted = 0n;
  const settleTxs = new Set<Hex>();
  let anchoredRoot: Hex | null = null;
  let anchoredEpochs = 0;
  for (const ev of settlementLogs) {
    if (ev.eventName === 'ReceiptSettled') {
      receiptsSettled++;
      units += ev.args.workDelta;
      settleTxs.add(ev.transactionHash);
      latest.set(`${ev.args.requester.toLowerCase()}>${ev.args.worker.toLowerCase()}`, ev.args.cumulativeAmount);
    } else if (ev.eventName === 'EmissionClaimed') emitted += ev.args.reward;
    else if (ev.eventName === 'EpochAnchored') {
      anchoredEpochs++;
      if (ev.args.root !== `0x${'00'.repeat(32)}`) anchoredRoot = ev.args.root;
    }
  }
  for (const [pair, amount] of latest) {
    const worker = pair.split('>')[1]!;
    balances.set(worker, (balances.get(worker) ?? 0n) + amount);
  }
  let gas = 0n;
  for (const h of settleTxs) gas += (await publicClient.getTransactionReceipt({ hash: h })).gasUsed;
  let slashed = 0n;
  if (a.staking) {
    const stakingLogs = parseEventLogs({ abi: stakingAbi, logs: logs.filter((l) => l.address.toLowerCase() === a.staking!.toLowerCase()), eventName: 'Slashed' });
    for (const ev of stakingLogs) slashed += (ev.args as unknown as { amount: bigint }).amount;
  }
  const totalSupply = await c.token.read.totalSupply();
  const staked = a.staking ? await c.token.read.balanceOf([a.staking]) : 0n;
  const treasury = await c.token.read.balanceOf([a.treasury]);
  return {
    receiptsSettled,
    onChainBalances: Object.fromEntries([...balances].map(([k, v]) => [k, v.toString()])),
    anchoredRoot,
    anchoredEpochs,
    gasPerUnit: units > 0n ? Number(gas / units) : null,
    settleGas: gas.toString(),
    unitsSettled: units.toString(),
    totalSupply: totalSupply.toString(),
    emitted: emitted.toString(),
    // Supply identity: genesis + minted − burned = totalSupply (minted is only emission here).
    burned: (GENESIS_SUPPLY + emitted - totalSupply).toString(),
    staked: staked.toString(),
    slashed: slashed.toString(),
    treasury: treasury.toString(),
  };
}

export type { Address };
