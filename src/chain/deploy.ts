/**
 * Deploys a tabmesh network (token, parameters, settlement, and governance when its contracts
 * are in the build) with viem, wires its roles, and funds demo accounts from the faucet.
 *
 * Order and wiring:
 * 1. TimelockController(timelockDelay, [], [address(0)] (anyone executes), admin = deployer): the
 *    treasury and, with governance, the owner of everything governed.
 * 2. MeshToken(treasury = timelock, faucet = deployer, admin = deployer): genesis is minted here.
 * 3. Params(owner = deployer). 4. Settlement(token, params, treasury, epochSeconds, withdrawalDelay),
 *    granted MINTER_ROLE (the only minter).
 * 5. When compiled: Staking(token, params, unbondingDelay), MeshGovernor(staking, timelock, votingDelay,
 *    votingPeriod); the governor gets PROPOSER and CANCELLER on the timelock; Params ownership and
 *    the token's admin role go to the timelock and the deployer renounces its admin roles.
 *    Without governance the deployer keeps Params (a local network without Staking.sol).
 * 6. Demo accounts receive MESH from the faucet.
 */
import { getAddress, zeroAddress, type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem';
import { MeshToken, Params, Settlement, TimelockController, findArtifact, meshTokenAbi, paramsAbi, timelockControllerAbi } from './artifacts.ts';
import { ChainConfigError } from './errors.ts';
import { LOCAL_PROFILE, PUBLIC_PROFILE, type TimeProfile } from '../economy/profiles.ts';

/**
 * Time constants of a deployment (RULES.md "Units and time"), in seconds: the same profiles the
 * economy's pure functions and the simulator use, so chain and model cannot drift apart.
 */
export type DeploymentProfile = TimeProfile;

/** `npm start`, the demo and tests. */
export const LOCAL_DEPLOYMENT: DeploymentProfile = LOCAL_PROFILE;

/** A public network (the simulator's default). */
export const PUBLIC_DEPLOYMENT: DeploymentProfile = PUBLIC_PROFILE;

/** What a deployment is: every address a client needs, and the constants it was made with. */
export interface NetworkAddresses {
  chainId: number;
  token: Address;
  params: Address;
  settlement: Address;
  timelock: Address;
  staking?: Address;
  governor?: Address;
  treasury: Address;
  faucet: Address;
  deployer: Address;
  /** Block number of the first deployment transaction (where log scans start). */
  deployBlock: string;
  /** Settlement's genesis time (epoch 0 starts here). */
  genesisTime: string;
  profile: DeploymentProfile;
}

export interface DeployOptions {
  publicClient: PublicClient<Transport, Chain>;
  /** The deployer's wallet; it is also the faucet and must hold ether for gas. */
  walletClient: WalletClient<Transport, Chain, Account>;
  profile?: DeploymentProfile;
  /** MESH sent from the faucet to each address after deployment. */
  fund?: { address: Address; amount: bigint }[];
  log?: (line: string) => void;
}

const DEFAULT_ADMIN_ROLE = `0x${'00'.repeat(32)}` as const;

export async function deployNetwork(options: DeployOptions): Promise<NetworkAddresses> {
  const { publicClient, walletClient } = options;
  const profile = options.profile ?? LOCAL_DEPLOYMENT;
  const log = options.log ?? (() => {});
  const deployer = walletClient.account.address;
  const chainId = await publicClient.getChainId();
  const startBlock = (await publicClient.getBlockNumber()) + 1n;

  const wait = async (hash: Hex, what: string) => {
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== 'success') throw new ChainConfigError(what, `transaction ${hash} reverted`);
    return r;
  };
  const deploy = async (name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<Address> => {
    const hash = await walletClient.deployContract({ abi, bytecode, args });
    const r = await wait(hash, name);
    if (!r.contractAddress) throw new ChainConfigError(name, 'deployment returned no address');
    log(`${name}: ${r.contractAddress} (${r.gasUsed} gas)`);
    return getAddress(r.contractAddress);
  };
  const call = async (address: Address, abi: Abi, functionName: string, args: readonly unknown[]) => {
    const hash = await walletClient.writeContract({ address, abi, functionName, args } as never);
    await wait(hash, functionName);
  };

  const timelock = await deploy('TimelockController', TimelockController.abi, TimelockController.bytecode, [BigInt(profile.timelockDelay), [], [zeroAddress], deployer]);
  const token = await deploy('MeshToken', MeshToken.abi, MeshToken.bytecode, [timelock, deployer, deployer]);
  const params = await deploy('Params', Params.abi, Params.bytecode, [deployer]);
  const settlement = await deploy('Settlement', Settlement.abi, Settlement.bytecode, [token, params, timelock, BigInt(profile.epochSeconds), BigInt(profile.withdrawalDelay)]);
  const minter = await publicClient.readContract({ address: token, abi: meshTokenAbi, functionName: 'MINTER_ROLE' });
  await call(token, meshTokenAbi, 'grantRole', [minter, settlement]);

  let staking: Address | undefined;
  let governor: Address | undefined;
  const stakingArt = findArtifact('Staking');
  const governorArt = findArtifact('MeshGovernor');
  if (stakingArt) staking = await deploy('Staking', stakingArt.abi, stakingArt.bytecode, [token, params, BigInt(profile.unbondingDelay)]);
  if (staking && governorArt) {
    governor = await deploy('MeshGovernor', governorArt.abi, governorArt.bytecode, [staking, timelock, profile.votingDelay, profile.votingPeriod]);
    const [proposer, canceller] = await Promise.all([
      publicClient.readContract({ address: timelock, abi: timelockControllerAbi, functionName: 'PROPOSER_ROLE' }),
      publicClient.readContract({ address: timelock, abi: timelockControllerAbi, functionName: 'CANCELLER_ROLE' }),
    ]);
    await call(timelock, timelockControllerAbi, 'grantRole', [proposer, governor]);
    await call(timelock, timelockControllerAbi, 'grantRole', [canceller, governor]);
    await call(params, paramsAbi, 'transferOwnership', [timelock]);
    await call(token, meshTokenAbi, 'grantRole', [DEFAULT_ADMIN_ROLE, timelock]);
    await call(token, meshTokenAbi, 'renounceRole', [DEFAULT_ADMIN_ROLE, deployer]);
    await call(timelock, timelockControllerAbi, 'renounceRole', [DEFAULT_ADMIN_ROLE, deployer]);
  }

  for (const f of options.fund ?? []) {
    if (f.amount > 0n) await call(token, meshTokenAbi, 'transfer', [f.address, f.amount]);
  }
  log(`funded ${options.fund?.length ?? 0} accounts from the faucet`);

  const genesisTime = await publicClient.readContract({ address: settlement, abi: Settlement.abi, functionName: 'genesisTime' });
  return {
    chainId,
    token,
    params,
    settlement,
    timelock,
    ...(staking ? { staking } : {}),
    ...(governor ? { governor } : {}),
    treasury: timelock,
    faucet: deployer,
    deployer,
    deployBlock: startBlock.toString(),
    genesisTime: genesisTime.toString(),
    profile,
  };
}
