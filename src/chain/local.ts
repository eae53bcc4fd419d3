/**
 * The local network of `npm start` / `npm run chain`: the embedded chain with its log in a data
 * directory, the network deployed on first start (addresses kept in `<dataDir>/deployment.json`),
 * and demo accounts funded. Node only (file store).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { custom, parseEther } from 'viem';
import { createChainClients, localChain } from './clients.ts';
import { deployNetwork, LOCAL_DEPLOYMENT, type DeploymentProfile, type NetworkAddresses } from './deploy.ts';
import { DEV_ETHER, devAccounts } from './dev-accounts.ts';
import { ChainConfigError } from './errors.ts';
import { defaultChainDir, fileStore } from './file-store.ts';
import { createChainProvider, memoryStore, type ChainProvider } from './provider.ts';

export interface LocalChainOptions {
  /** Where the chain log and deployment live; default `~/.tabmesh/chain`. `null`: memory only. */
  dataDir?: string | null;
  chainId?: number;
  profile?: DeploymentProfile;
  /** Dev accounts besides the deployer that get ether and MESH. Default 16. */
  demoAccounts?: number;
  /** MESH each demo account receives. Default 100,000 MESH. */
  demoFunding?: bigint;
  log?: (line: string) => void;
}

export interface LocalChain {
  provider: ChainProvider;
  addresses: NetworkAddresses;
  /** True when this start deployed the contracts (first start of this data dir). */
  deployed: boolean;
  dataDir: string | null;
}

export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const dataDir = options.dataDir === null ? null : (options.dataDir ?? defaultChainDir());
  const log = options.log ?? (() => {});
  const accounts = devAccounts(1 + (options.demoAccounts ?? 16));
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const provider = await createChainProvider({
    chainId: options.chainId ?? 31337,
    alloc: accounts.map((a) => ({ address: a.address, balance: DEV_ETHER })),
    store: dataDir ? fileStore(dataDir) : memoryStore(),
  });
  const deploymentFile = dataDir ? join(dataDir, 'deployment.json') : null;
  if (deploymentFile && existsSync(deploymentFile)) {
    const addresses = JSON.parse(readFileSync(deploymentFile, 'utf8')) as NetworkAddresses;
    if (addresses.chainId !== provider.chainId) throw new ChainConfigError('deployment.json', `chain id ${addresses.chainId} does not match the chain (${provider.chainId})`);
    const { publicClient } = createChainClients({ transport: custom(provider), chain: localChain(provider.chainId) });
    if ((await publicClient.getCode({ address: addresses.settlement })) === undefined)
      throw new ChainConfigError('deployment.json', `no contract at ${addresses.settlement}: the chain log and deployment disagree (remove ${dataDir} to start afresh)`);
    log(`chain restored from ${dataDir} at block ${provider.blockNumber()}`);
    return { provider, addresses, deployed: false, dataDir };
  }
  const [deployer, ...demo] = accounts;
  const { publicClient, walletClient } = createChainClients({ transport: custom(provider), chain: localChain(provider.chainId), account: deployer!.account });
  const amount = options.demoFunding ?? parseEther('100000');
  const addresses = await deployNetwork({
    publicClient,
    walletClient,
    profile: options.profile ?? LOCAL_DEPLOYMENT,
    fund: demo.map((a) => ({ address: a.address, amount })),
    log,
  });
  if (deploymentFile) writeFileSync(deploymentFile, JSON.stringify(addresses, null, 1) + '\n');
  return { provider, addresses, deployed: true, dataDir };
}
