/**
 * viem clients for tabmesh's chain, local or real: the rest of the code only ever talks to the
 * chain through these (a real chain is a different transport, addresses and wallet).
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { meshTokenAbi, paramsAbi, settlementAbi, timelockControllerAbi } from './artifacts.ts';
import type { NetworkAddresses } from './deploy.ts';

/** The local network's chain description (chain id 31337 unless configured otherwise). */
export function localChain(chainId = 31337, rpcUrl = 'http://127.0.0.1:8545'): Chain {
  return defineChain({
    id: chainId,
    name: 'tabmesh local',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export interface ChainClients<A extends Account | undefined = Account | undefined> {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: A extends Account ? WalletClient<Transport, Chain, A> : undefined;
  chain: Chain;
}

/**
 * A public client and, with `account`, a wallet client over one transport.
 * @example createChainClients({ transport: custom(provider), chain: localChain(31337), account })
 */
export function createChainClients<A extends Account | undefined = undefined>(options: {
  transport: Transport;
  chain?: Chain;
  account?: A;
  /** Polling interval for receipts (ms). Local chains mine at once: keep it short. */
  pollingInterval?: number;
}): ChainClients<A> {
  const chain = options.chain ?? localChain();
  const pollingInterval = options.pollingInterval ?? 50;
  const publicClient = createPublicClient({ chain, transport: options.transport, pollingInterval }) as PublicClient<Transport, Chain>;
  const walletClient = options.account ? createWalletClient({ chain, transport: options.transport, account: options.account, pollingInterval }) : undefined;
  return { publicClient, walletClient: walletClient as ChainClients<A>['walletClient'], chain };
}

/** Typed viem contract instances of a deployed network (reads; writes when a wallet is given). */
export function networkContracts<C extends { public: PublicClient<Transport, Chain>; wallet?: WalletClient<Transport, Chain, Account> }>(
  addresses: Pick<NetworkAddresses, 'token' | 'params' | 'settlement' | 'timelock'>,
  client: C,
) {
  return {
    token: getContract({ address: addresses.token, abi: meshTokenAbi, client }),
    params: getContract({ address: addresses.params, abi: paramsAbi, client }),
    settlement: getContract({ address: addresses.settlement, abi: settlementAbi, client }),
    timelock: getContract({ address: addresses.timelock, abi: timelockControllerAbi, client }),
  };
}
