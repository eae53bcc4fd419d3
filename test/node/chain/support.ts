/**
 * Test helper: a fresh in-memory chain (real EVM, manual clock), the network deployed on it,
 * funded accounts, viem clients per account, time travel, and revert assertions.
 *
 * @example
 * const t = await startTestChain();
 * await t.as(t.requester).settlement.write.deposit([10n ** 18n]);
 * await t.increaseTime(t.profile.epochSeconds);
 */
import { custom, parseEther, type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hashTypedData, hexToBytes, bytesToHex } from 'viem';
import { expect } from 'vitest';
import { createChainClients, localChain, networkContracts } from '../../../src/chain/clients.ts';
import { deployNetwork, LOCAL_DEPLOYMENT, type DeploymentProfile, type NetworkAddresses } from '../../../src/chain/deploy.ts';
import { DEV_ETHER, devAccounts, type DevAccount } from '../../../src/chain/dev-accounts.ts';
import { decodeRevert } from '../../../src/chain/errors.ts';
import { createChainProvider, memoryStore, type ChainProvider, type ChainStore } from '../../../src/chain/provider.ts';
import { artifacts } from '../../../src/chain/artifacts.ts';

/**
 * Every custom error the network's contracts can revert with, once each (for decoding, also of a
 * revert bubbled up through the timelock).
 */
export const allErrorsAbi = [
  ...new Map(
    Object.values(artifacts)
      .flatMap((a) => a.abi as Abi)
      .filter((x) => x.type === 'error')
      .map((x) => [JSON.stringify(x), x] as const),
  ).values(),
] as Abi;

export const GENESIS_TIMESTAMP = 1_700_000_000;

export interface TestChainOptions {
  profile?: DeploymentProfile;
  /** MESH each of accounts 1..n-1 receives from the faucet. Default 1,000,000 MESH. */
  fundEach?: bigint;
  /** Number of dev accounts (0 = deployer/faucet). Default 8. */
  accounts?: number;
  store?: ChainStore;
  chainId?: number;
}

export type TestChain = Awaited<ReturnType<typeof startTestChain>>;

export async function startTestChain(options: TestChainOptions = {}) {
  const profile = options.profile ?? LOCAL_DEPLOYMENT;
  const accounts = devAccounts(options.accounts ?? 8);
  const store = options.store ?? memoryStore();
  const provider = await createChainProvider({
    chainId: options.chainId ?? 31337,
    clock: 'manual',
    genesisTimestamp: GENESIS_TIMESTAMP,
    alloc: accounts.map((a) => ({ address: a.address, balance: DEV_ETHER })),
    store,
  });
  const chain = localChain(provider.chainId);
  const transport = custom(provider, { retryCount: 0 });
  const { publicClient } = createChainClients({ transport, chain });
  const walletOf = (a: DevAccount | Account): WalletClient<Transport, Chain, Account> =>
    createChainClients({ transport, chain, account: 'account' in a ? a.account : a }).walletClient;
  const [deployer, requester, worker, worker2, mallory, ...rest] = accounts as [DevAccount, DevAccount, DevAccount, DevAccount, DevAccount, ...DevAccount[]];
  const fundEach = options.fundEach ?? parseEther('1000000');
  const addresses = await deployNetwork({
    publicClient,
    walletClient: walletOf(deployer),
    profile,
    fund: accounts.slice(1).map((a) => ({ address: a.address, amount: fundEach })),
  });

  /** Typed contracts, writing as `who`. */
  const as = (who: DevAccount | Account) => networkContracts(addresses, { public: publicClient, wallet: walletOf(who) });
  const read = networkContracts(addresses, { public: publicClient });

  return {
    provider,
    store,
    publicClient,
    transport,
    chain,
    profile,
    addresses,
    accounts,
    deployer,
    requester,
    worker,
    worker2,
    mallory,
    rest,
    read,
    as,
    walletOf,
    /** Moves the clock forward; the next block (and eth_call) sees it. */
    async increaseTime(seconds: number) {
      await provider.request({ method: 'evm_increaseTime', params: [`0x${seconds.toString(16)}`] } as never);
    },
    /** Mines an empty block now. */
    async mine() {
      await provider.request({ method: 'evm_mine', params: [] } as never);
    },
    /** Travels to the start of epoch `e` of Settlement's clock. */
    async travelToEpoch(e: number) {
      const target = Number(addresses.genesisTime) + e * profile.epochSeconds;
      const next = provider.nextTimestamp();
      if (target > next) await this.increaseTime(target - next);
    },
    /** Waits for a transaction and asserts success. */
    async ok(hash: Promise<Hex> | Hex) {
      const h = await hash;
      const r = await publicClient.waitForTransactionReceipt({ hash: h });
      if (r.status !== 'success') {
        const tx = await publicClient.getTransaction({ hash: h });
        expect.fail(`transaction reverted on-chain: gasUsed ${r.gasUsed} of ${tx.gas}`);
      }
      return r;
    },
  };
}

/** Asserts that `p` (a viem call) reverts with custom error `name` (and `args`, when given). */
export async function expectRevert(p: Promise<unknown>, name: string, args?: readonly unknown[]) {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected revert ${name}`).toBeDefined();
  const d = decodeRevert(err, allErrorsAbi);
  expect(d?.errorName, String((err as Error)?.message).slice(0, 400)).toBe(name);
  if (args) expect(d?.args).toEqual(args);
  return d;
}

// ---------------------------------------------------------------- receipts (own small signer)

export interface TestReceipt {
  requester: Address;
  worker: Address;
  cumulativeAmount: bigint;
  cumulativeWork: bigint;
}

export const receiptTypes = {
  Receipt: [
    { name: 'requester', type: 'address' },
    { name: 'worker', type: 'address' },
    { name: 'cumulativeAmount', type: 'uint256' },
    { name: 'cumulativeWork', type: 'uint256' },
  ],
} as const;

// Deliberately independent of src/ledger (hand-written types, viem hashing): the cross-check tests
// compare the two implementations, which would prove nothing if one were built from the other.
export const domainOf = (chainId: number, verifyingContract: Address) => ({ name: 'tabmesh', version: '1', chainId, verifyingContract }) as const;

export const digestOf = (domain: ReturnType<typeof domainOf>, r: TestReceipt) => hashTypedData({ domain, types: receiptTypes, primaryType: 'Receipt', message: r });

const N = secp256k1.Point.CURVE().n;

/** r ‖ s ‖ v (v ∈ {27, 28}) over the EIP-712 digest; `highS` flips s to its malleable twin. */
export function signTestReceipt(privateKey: Hex, domain: ReturnType<typeof domainOf>, r: TestReceipt, opts: { highS?: boolean } = {}): Hex {
  const digest = digestOf(domain, r);
  const rec = secp256k1.sign(hexToBytes(digest), hexToBytes(privateKey), { prehash: false, lowS: true, format: 'recovered' });
  const sig = new Uint8Array(65);
  sig.set(rec.subarray(1, 65), 0);
  let v = (rec[0] as number) + 27;
  if (opts.highS) {
    let s = 0n;
    for (let i = 33; i < 65; i++) s = (s << 8n) | BigInt(rec[i] as number);
    const hs = N - s;
    for (let i = 0; i < 32; i++) sig[32 + i] = Number((hs >> BigInt(8 * (31 - i))) & 0xffn);
    v = v === 27 ? 28 : 27;
  }
  sig[64] = v;
  return bytesToHex(sig);
}

export type { DevAccount, NetworkAddresses, ChainProvider, PublicClient };
