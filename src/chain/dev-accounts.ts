/**
 * Deterministic accounts of the local network (`npm start`, demo, tests): key i is
 * `keccak256("tabmesh/dev/" + i)`. They are public knowledge, so they are for the local chain only;
 * a real chain takes a wallet instead (src/chain/README.md).
 */
import { keccak256, stringToBytes, type Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';

export interface DevAccount {
  index: number;
  privateKey: Hex;
  address: Hex;
  account: PrivateKeyAccount;
}

/** Dev account `index` (0 is the deployer and faucet). */
export function devAccount(index: number): DevAccount {
  const privateKey = keccak256(stringToBytes(`tabmesh/dev/${index}`));
  const account = privateKeyToAccount(privateKey);
  return { index, privateKey, address: account.address, account };
}

/** Dev accounts 0..n-1. */
export function devAccounts(n: number): DevAccount[] {
  return Array.from({ length: n }, (_, i) => devAccount(i));
}

/** Ether each dev account holds at genesis: enough gas for any local run. */
export const DEV_ETHER = 10n ** 24n;
