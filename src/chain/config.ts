/**
 * Where the page finds its chain: RPC URL, chain id, contract addresses and whether the network
 * has a dev faucet. `npm start` and the demo put one JSON object in `VITE_TABMESH_CHAIN` (Vite
 * hands VITE_* variables of its environment to the page); a production build sets the same JSON for
 * a real chain (without `faucet`). The JSON is checked field by field: a broken configuration is
 * a ChainConfigError naming the field, never a half-configured client.
 *
 * @example
 * const config = chainConfigFromEnv();        // null when the page has no chain configured
 * if (config) console.log(config.rpcUrl, config.addresses.settlement);
 */
import { getAddress, isAddress, type Address } from 'viem';
import type { NetworkAddresses } from './deploy.ts';
import { ChainConfigError } from './errors.ts';

export interface ChainConfig {
  rpcUrl: string;
  chainId: number;
  addresses: NetworkAddresses;
  /** The local network's `tabmesh_faucet` RPC method exists. */
  faucet: boolean;
}

const REQUIRED: (keyof NetworkAddresses)[] = ['token', 'params', 'settlement', 'timelock', 'treasury', 'faucet', 'deployer'];
const OPTIONAL: (keyof NetworkAddresses)[] = ['staking', 'governor'];

function address(o: Record<string, unknown>, field: string): Address {
  const v = o[field];
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw new ChainConfigError(`chain.addresses.${field}`, 'must be an address');
  return getAddress(v);
}

/** Parses and checks a chain configuration (the JSON `npm start` writes). */
export function parseChainConfig(json: unknown): ChainConfig {
  const o = typeof json === 'string' ? (JSON.parse(json) as unknown) : json;
  if (!o || typeof o !== 'object') throw new ChainConfigError('chain', 'must be a JSON object');
  const c = o as Record<string, unknown>;
  if (typeof c.rpcUrl !== 'string' || !/^https?:\/\//.test(c.rpcUrl)) throw new ChainConfigError('chain.rpcUrl', 'must be an http(s) URL');
  const a = c.addresses as Record<string, unknown> | undefined;
  if (!a || typeof a !== 'object') throw new ChainConfigError('chain.addresses', 'must be an object');
  const chainId = a.chainId;
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId <= 0) throw new ChainConfigError('chain.addresses.chainId', 'must be a positive integer');
  const addresses = { ...(a as unknown as NetworkAddresses), chainId };
  for (const f of REQUIRED) (addresses as unknown as Record<string, Address>)[f] = address(a, f);
  for (const f of OPTIONAL) if (a[f] !== undefined) (addresses as unknown as Record<string, Address>)[f] = address(a, f);
  if (typeof a.genesisTime !== 'string' || !/^\d+$/.test(a.genesisTime)) throw new ChainConfigError('chain.addresses.genesisTime', 'must be a decimal string');
  const p = a.profile as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object' || typeof p.epochSeconds !== 'number' || p.epochSeconds <= 0) throw new ChainConfigError('chain.addresses.profile.epochSeconds', 'must be a positive number');
  return { rpcUrl: c.rpcUrl, chainId, addresses, faucet: c.faucet === true };
}

/** The page's chain configuration from `VITE_TABMESH_CHAIN`, or null when there is none. */
export function chainConfigFromEnv(): ChainConfig | null {
  const raw = (import.meta as { env?: Record<string, string | undefined> }).env?.VITE_TABMESH_CHAIN;
  if (!raw) return null;
  return parseChainConfig(raw);
}
