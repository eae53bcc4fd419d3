/**
 * The local network's faucet, as one extra JSON-RPC method on the embedded chain:
 * `tabmesh_faucet([address])` gives `address` gas ether and MESH from the faucet account, once per
 * address (asking again returns the first grant). Tabs on `npm start` call it for their fresh
 * IndexedDB key, so a person can contribute or submit without a wallet. A real chain has no such
 * method: there the person's wallet pays (src/chain/README.md).
 *
 * @example
 * const provider = withDevFaucet(chain.provider, { token: addresses.token, faucet: devAccount(0) });
 * await provider.request({ method: 'tabmesh_faucet', params: ['0xabc…'] });
 * // → { address, ether: '0x…', mesh: '0x…', tx: '0x…' | null }
 */
import { custom, getAddress, isAddress, type Address, type EIP1193RequestFn, type Hex } from 'viem';
import { meshTokenAbi } from './artifacts.ts';
import { createChainClients, localChain } from './clients.ts';
import type { DevAccount } from './dev-accounts.ts';
import { RpcError, type ChainProvider } from './provider.ts';

export interface DevFaucetOptions {
  token: Address;
  /** The account holding the faucet allocation (dev account 0 on the local network). */
  faucet: DevAccount;
  /** Gas ether given to each address. Default 10 ETH. */
  ether?: bigint;
  /** MESH given to each address. Default 10,000 MESH. */
  mesh?: bigint;
}

export interface FaucetGrant {
  address: Address;
  ether: Hex;
  mesh: Hex;
  /** The MESH transfer, or null when the address was granted before. */
  tx: Hex | null;
}

/** Wraps `provider` so that it also answers `tabmesh_faucet`; every other call passes through. */
export function withDevFaucet(provider: ChainProvider, options: DevFaucetOptions): ChainProvider {
  const ether = options.ether ?? 10n * 10n ** 18n;
  const mesh = options.mesh ?? 10_000n * 10n ** 18n;
  const inner = provider.request;
  const { walletClient, publicClient } = createChainClients({
    transport: custom({ request: inner }),
    chain: localChain(provider.chainId),
    account: options.faucet.account,
  });
  // Grants in flight or done, by address: one grant per address even when asked concurrently.
  const grants = new Map<string, Promise<FaucetGrant>>();

  async function grant(address: Address): Promise<FaucetGrant> {
    const balance = await publicClient.getBalance({ address });
    if (balance < ether) await inner({ method: 'hardhat_setBalance' as never, params: [address, `0x${ether.toString(16)}`] as never });
    const tx = await walletClient.writeContract({ address: options.token, abi: meshTokenAbi, functionName: 'transfer', args: [address, mesh] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: tx });
    if (receipt.status !== 'success') throw new RpcError(-32000, `tabmesh_faucet: the MESH transfer to ${address} reverted (faucet empty?)`);
    return { address, ether: `0x${ether.toString(16)}`, mesh: `0x${mesh.toString(16)}`, tx };
  }

  const request = (async (args: { method: string; params?: unknown }) => {
    if (args.method !== 'tabmesh_faucet') return inner(args as never);
    const params = args.params;
    const raw = Array.isArray(params) ? params[0] : undefined;
    if (typeof raw !== 'string' || !isAddress(raw, { strict: false })) throw new RpcError(-32602, 'tabmesh_faucet: params[0] must be an address');
    const address = getAddress(raw);
    const key = address.toLowerCase();
    let g = grants.get(key);
    if (g) return g.then((first) => ({ ...first, tx: null }));
    g = grant(address);
    grants.set(key, g);
    g.catch(() => grants.delete(key));
    return g;
  }) as EIP1193RequestFn;

  return Object.assign(Object.create(provider) as ChainProvider, { request });
}
