/**
 * Compiled contracts, typed for viem. Browser-safe: it imports only the generated
 * `artifacts/index.ts` (ABIs as `as const` literals and bytecode), written by
 * `npm run build:contracts` (src/chain/compile.ts). On a clean checkout that folder exists only
 * after `npm ci` (postinstall) or `npm run build:contracts`.
 *
 * @example
 * import { settlementAbi, Settlement } from './artifacts.ts';
 * const hash = await wallet.deployContract({ abi: Settlement.abi, bytecode: Settlement.bytecode, args });
 */
import { artifacts } from './artifacts/index.ts';
import type { Abi, Hex } from 'viem';

export * from './artifacts/index.ts';

/** One compiled contract. */
export interface Artifact {
  contractName: string;
  sourceName: string;
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
}

/** Names of the contracts compiled in this build. */
export type ContractName = keyof typeof artifacts;

/** Thrown when a contract that the caller needs was not compiled into this build. */
export class ArtifactMissingError extends Error {
  override readonly name = 'ArtifactMissingError';
  constructor(readonly contractName: string) {
    super(`no compiled artifact for ${contractName}: add contracts/${contractName}.sol and run npm run build:contracts`);
  }
}

/**
 * The artifact called `name`, or undefined when this build has none (contracts that another part
 * of the project adds later, such as Staking and MeshGovernor, are optional at deploy time).
 */
export function findArtifact(name: string): Artifact | undefined {
  return (artifacts as Record<string, Artifact | undefined>)[name];
}

/** The artifact called `name`; throws {@link ArtifactMissingError} when it was not compiled. */
export function getArtifact(name: string): Artifact {
  const a = findArtifact(name);
  if (!a) throw new ArtifactMissingError(name);
  return a;
}
