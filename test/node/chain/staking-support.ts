/**
 * Helpers for the staking, slashing and governance tests, on top of `support.ts`: the network as
 * `src/chain/deploy.ts` deploys it (Staking and MeshGovernor included) on the in-memory chain with a
 * manual clock, plus short `read`/`write`/`deploy` by contract name and revert assertions.
 * Artifacts come from `src/chain/artifacts/` (`npm run build:contracts`, run by `pretest:node`).
 */
import { encodeDeployData, keccak256, toHex, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { getArtifact } from '../../../src/chain/artifacts.ts';
import { LOCAL_DEPLOYMENT } from '../../../src/chain/deploy.ts';
import { decodeRevert } from '../../../src/chain/errors.ts';
import { allErrorsAbi, startTestChain, type TestChain } from './support.ts';

const abis = new Map<string, Abi>();
/** A contract's ABI plus the other contracts' errors it does not declare itself (built once per name). */
function abiOf(name: string): Abi {
  let abi = abis.get(name);
  if (!abi) {
    const own = getArtifact(name).abi;
    const names = new Set(own.filter((x) => x.type === 'error').map((x) => (x as { name: string }).name));
    abi = [...own, ...allErrorsAbi.filter((e) => !names.has((e as { name: string }).name))] as Abi;
    abis.set(name, abi);
  }
  return abi;
}

/** Deterministic account from a seed string (funded with ether by {@link deployStakingNetwork}). */
export function account(seed: string): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(toHex(`tabmesh-staking-test/${seed}`)));
}

export interface Chain {
  t: TestChain;
  deploy(from: PrivateKeyAccount, name: string, args: unknown[]): Promise<Address>;
  /** Sends a transaction and returns its receipt (throws the viem error if it would revert). */
  write(from: PrivateKeyAccount, to: Address, name: string, fn: string, args: unknown[]): Promise<TransactionReceipt>;
  read<T = unknown>(to: Address, name: string, fn: string, args?: unknown[]): Promise<T>;
  /** Moves the clock: the next block is `seconds` + 1 after the latest. */
  warp(seconds: number | bigint): Promise<void>;
  /** Timestamp of the latest block. */
  now(): Promise<bigint>;
  setBalance(a: Address, wei: bigint): Promise<void>;
}

export const MESH = 10n ** 18n;

/** Local profile of RULES.md: unbonding 120 s, voting delay 0, voting period 60 s, timelock 30 s. */
export const LOCAL = {
  unbondingDelay: BigInt(LOCAL_DEPLOYMENT.unbondingDelay),
  votingDelay: LOCAL_DEPLOYMENT.votingDelay,
  votingPeriod: LOCAL_DEPLOYMENT.votingPeriod,
  timelockDelay: BigInt(LOCAL_DEPLOYMENT.timelockDelay),
};

export interface Network {
  c: Chain;
  /** Deployer and faucet (holds the faucet's MESH). */
  deployer: PrivateKeyAccount;
  token: Address;
  params: Address;
  timelock: Address;
  staking: Address;
  governor: Address;
}

/** The deployed network with `fund` holding ether for gas. */
export async function deployStakingNetwork(fund: PrivateKeyAccount[]): Promise<Network> {
  const t = await startTestChain();
  const { publicClient } = t;
  const c: Chain = {
    t,
    async deploy(from, name, args) {
      const a = getArtifact(name);
      const gas = await publicClient.estimateGas({ account: from, data: encodeDeployData({ abi: abiOf(name), bytecode: a.bytecode, args }) });
      const hash = await t.walletOf(from).deployContract({ abi: abiOf(name), bytecode: a.bytecode, args, gas: gas * 2n });
      const r = await publicClient.waitForTransactionReceipt({ hash });
      if (r.status !== 'success' || !r.contractAddress) throw new Error(`deploy ${name} failed`);
      return r.contractAddress;
    },
    async write(from, to, name, fn, args) {
      // Our own estimate (it throws the decoded revert), doubled: the chain's eth_estimateGas is
      // tight (execution gas * 64/63 + 5,000) and some calls here need more gas up front than they use.
      const req = { address: to, abi: abiOf(name), functionName: fn, args, account: from };
      const gas = await publicClient.estimateContractGas(req as never);
      const hash = await t.walletOf(from).writeContract({ ...req, gas: gas * 2n } as never);
      return publicClient.waitForTransactionReceipt({ hash });
    },
    read(to, name, fn, args = []) {
      return publicClient.readContract({ address: to, abi: abiOf(name), functionName: fn, args }) as never;
    },
    async warp(seconds) {
      await t.increaseTime(Number(seconds));
    },
    async now() {
      return (await publicClient.getBlock()).timestamp;
    },
    async setBalance(a, wei) {
      await t.provider.request({ method: 'hardhat_setBalance', params: [a, toHex(wei)] } as never);
    },
  };
  for (const a of fund) await c.setBalance(a.address, 10n ** 24n);
  const { staking, governor, token, params, timelock } = t.addresses;
  if (!staking || !governor) throw new Error('deployNetwork did not deploy Staking and MeshGovernor: run npm run build:contracts');
  return { c, deployer: t.deployer.account, token, params, timelock, staking, governor };
}

/** Awaits `p`, which must revert with custom error `name`; returns the error's args. */
export async function reverts(p: Promise<unknown>, name: string): Promise<readonly unknown[]> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected revert ${name}, but the call succeeded`);
  const d = decodeRevert(err, allErrorsAbi);
  if (!d) throw err;
  if (d.errorName !== name) throw new Error(`expected revert ${name}, got ${d.errorName}(${d.args.map(String).join(', ')})`);
  return d.args;
}

export type { Hex };
