/**
 * Minimal chain harness for the staking, slashing and governance tests: the real compiled
 * contracts (solc-js, same sources as contracts/) on a real EVM (@ethereumjs/vm behind an
 * EIP-1193 provider), driven through viem, with time travel. Modelled on
 * shared/probes/evm/eip1193-ethjs.mjs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { createCustomCommon, Mainnet, Hardfork } from '@ethereumjs/common';
import { createVM, runTx } from '@ethereumjs/vm';
import { createTxFromRLP, createFeeMarket1559Tx } from '@ethereumjs/tx';
import { createBlock, type Block } from '@ethereumjs/block';
import { createAddressFromString, createAccount, bytesToHex, hexToBytes, bigIntToHex } from '@ethereumjs/util';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  keccak256,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Artifact {
  abi: Abi;
  bytecode: Hex;
}

let compiled: Record<string, Artifact> | undefined;

/** Compiles contracts/{Staking,MeshGovernor,MeshToken,Params}.sol and OZ's TimelockController (cached per process). */
export function artifacts(): Record<string, Artifact> {
  if (compiled) return compiled;
  const files = ['Staking.sol', 'MeshGovernor.sol', 'MeshToken.sol', 'Params.sol'];
  const sources: Record<string, { content: string }> = {};
  for (const f of files) sources[f] = { content: fs.readFileSync(path.join(ROOT, 'contracts', f), 'utf8') };
  sources['Timelock.sol'] = {
    content:
      '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\nimport {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";\n',
  };
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const findImport = (p: string) => {
    const f = p.startsWith('@') ? path.join(ROOT, 'node_modules', p) : path.join(ROOT, 'contracts', p.replace(/^\.\//, ''));
    return fs.existsSync(f) ? { contents: fs.readFileSync(f, 'utf8') } : { error: `not found: ${p}` };
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const res: Record<string, Artifact> = {};
  for (const cs of Object.values(out.contracts)) {
    for (const [name, c] of Object.entries(cs)) res[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
  compiled = res;
  return res;
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Hex,
  ) {
    super(message);
  }
}

const q = (n: bigint | number) => bigIntToHex(BigInt(n));

interface MinedBlock {
  block: Block;
  receipts: Record<string, unknown>[];
}

/** An automining EIP-1193 provider over @ethereumjs/vm with `evm_increaseTime`. */
export async function createProvider(chainId = 31337) {
  const common = createCustomCommon({ chainId, name: 'staking-test' }, Mainnet, { hardfork: Hardfork.Prague });
  const vm = await createVM({ common });
  const gasLimit = 60_000_000n;
  const baseFee = 1_000_000_000n;
  const blocks: MinedBlock[] = [];
  const receipts = new Map<string, Record<string, unknown>>();
  let timestamp = 1_700_000_000n;
  const mkBlock = (number: bigint, ts: bigint) =>
    createBlock(
      {
        header: {
          number,
          timestamp: ts,
          gasLimit,
          baseFeePerGas: baseFee,
          coinbase: `0x${'00'.repeat(20)}`,
          parentHash: blocks.length ? blocks[blocks.length - 1]!.block.hash() : new Uint8Array(32),
        },
      },
      { common },
    );
  blocks.push({ block: mkBlock(0n, timestamp), receipts: [] });
  const head = () => blocks[blocks.length - 1]!;
  const nextBlock = () => mkBlock(head().block.header.number + 1n, timestamp + 1n);

  async function simulate(c: { from?: string; to?: string; data?: string; value?: string; gas?: string }) {
    const sm = vm.stateManager;
    await sm.checkpoint();
    try {
      const from = createAddressFromString(c.from ?? `0x${'00'.repeat(20)}`);
      return await vm.evm.runCall({
        caller: from,
        origin: from,
        to: c.to ? createAddressFromString(c.to) : undefined,
        data: c.data ? hexToBytes(c.data as Hex) : new Uint8Array(),
        value: c.value ? BigInt(c.value) : 0n,
        gasLimit: c.gas ? BigInt(c.gas) : gasLimit,
        block: nextBlock(),
        skipBalance: true,
      });
    } finally {
      await sm.revert();
    }
  }

  async function sendRaw(raw: Hex): Promise<Hex> {
    const tx = createTxFromRLP(hexToBytes(raw), { common });
    timestamp += 1n;
    const block = mkBlock(head().block.header.number + 1n, timestamp);
    const res = await runTx(vm, { tx, block });
    const hash = bytesToHex(tx.hash());
    const bh = bytesToHex(block.hash());
    const num = q(block.header.number);
    const rpc: Record<string, unknown> = {
      transactionHash: hash,
      transactionIndex: '0x0',
      blockHash: bh,
      blockNumber: num,
      from: tx.getSenderAddress().toString(),
      to: tx.to?.toString() ?? null,
      cumulativeGasUsed: q(res.totalGasSpent),
      gasUsed: q(res.totalGasSpent),
      effectiveGasPrice: q(baseFee),
      contractAddress: res.createdAddress?.toString() ?? null,
      logsBloom: bytesToHex(res.bloom.bitvector),
      status: res.execResult.exceptionError ? '0x0' : '0x1',
      type: q(tx.type),
      logs: (res.execResult.logs ?? []).map(([addr, topics, data], i) => ({
        address: bytesToHex(addr),
        topics: topics.map((t) => bytesToHex(t)),
        data: bytesToHex(data),
        logIndex: q(i),
        blockNumber: num,
        blockHash: bh,
        transactionHash: hash,
        transactionIndex: '0x0',
        removed: false,
      })),
    };
    blocks.push({ block, receipts: [rpc] });
    receipts.set(hash, rpc);
    return hash;
  }

  const blockJson = (b: MinedBlock) => ({
    number: q(b.block.header.number),
    hash: bytesToHex(b.block.hash()),
    parentHash: bytesToHex(b.block.header.parentHash),
    timestamp: q(b.block.header.timestamp),
    gasLimit: q(gasLimit),
    gasUsed: '0x0',
    baseFeePerGas: q(baseFee),
    miner: `0x${'00'.repeat(20)}`,
    difficulty: '0x0',
    nonce: '0x0000000000000000',
    extraData: '0x',
    logsBloom: `0x${'00'.repeat(256)}`,
    transactions: b.receipts.map((r) => r.transactionHash),
    uncles: [],
    size: '0x0',
    stateRoot: `0x${'00'.repeat(32)}`,
    transactionsRoot: `0x${'00'.repeat(32)}`,
    receiptsRoot: `0x${'00'.repeat(32)}`,
    sha3Uncles: `0x${'00'.repeat(32)}`,
    mixHash: `0x${'00'.repeat(32)}`,
  });

  type Params = unknown[];
  const methods: Record<string, (p: Params) => unknown> = {
    eth_chainId: () => q(chainId),
    net_version: () => String(chainId),
    eth_blockNumber: () => q(head().block.header.number),
    eth_gasPrice: () => q(baseFee + 1n),
    eth_maxPriorityFeePerGas: () => q(1n),
    eth_getBlockByNumber: () => blockJson(head()),
    eth_getBalance: async ([a]) => q((await vm.stateManager.getAccount(createAddressFromString(a as string)))?.balance ?? 0n),
    eth_getTransactionCount: async ([a]) => q((await vm.stateManager.getAccount(createAddressFromString(a as string)))?.nonce ?? 0n),
    eth_getCode: async ([a]) => bytesToHex(await vm.stateManager.getCode(createAddressFromString(a as string))),
    eth_call: async ([c]) => {
      const r = await simulate(c as Parameters<typeof simulate>[0]);
      if (r.execResult.exceptionError) throw new RpcError(3, 'execution reverted', bytesToHex(r.execResult.returnValue));
      return bytesToHex(r.execResult.returnValue);
    },
    eth_estimateGas: async ([c]) => {
      const r = await simulate(c as Parameters<typeof simulate>[0]);
      if (r.execResult.exceptionError) throw new RpcError(3, 'execution reverted', bytesToHex(r.execResult.returnValue));
      const call = c as { to?: string; data?: string };
      const intrinsic = createFeeMarket1559Tx({ to: call.to, data: (call.data ?? '0x') as Hex, gasLimit }, { common }).getIntrinsicGas();
      const est = ((intrinsic + r.execResult.executionGasUsed) * 64n) / 63n + 50_000n;
      return q(est * 2n > gasLimit ? gasLimit / 2n : est * 2n);
    },
    eth_sendRawTransaction: ([raw]) => sendRaw(raw as Hex),
    eth_getTransactionReceipt: ([h]) => receipts.get(h as string) ?? null,
    hardhat_setBalance: async ([a, bal]) => {
      const ad = createAddressFromString(a as string);
      const acc = (await vm.stateManager.getAccount(ad)) ?? createAccount({});
      acc.balance = BigInt(bal as string);
      await vm.stateManager.putAccount(ad, acc);
      return true;
    },
  };
  return {
    /** Seconds of the latest block. */
    now: () => timestamp,
    /** Moves the clock: the next block is `seconds` (+1) later than the latest. */
    increaseTime(seconds: number | bigint) {
      timestamp += BigInt(seconds);
    },
    async request({ method, params = [] }: { method: string; params?: Params }) {
      const m = methods[method];
      if (!m) throw new RpcError(-32601, `method ${method} not supported`);
      return m(params);
    },
  };
}

export const chain = defineChain({
  id: 31337,
  name: 'staking-test',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1:0'] } },
});

export type Provider = Awaited<ReturnType<typeof createProvider>>;

/** Deterministic account from a seed string. */
export function account(seed: string): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(toHex(`tabmesh-staking-test/${seed}`)));
}

export interface Chain {
  provider: Provider;
  pub: PublicClient;
  deploy(from: PrivateKeyAccount, name: string, args: unknown[]): Promise<Address>;
  /** Sends a transaction and returns its receipt (throws the decoded revert if it would revert). */
  write(from: PrivateKeyAccount, to: Address, name: string, fn: string, args: unknown[]): Promise<TransactionReceipt>;
  read<T = unknown>(to: Address, name: string, fn: string, args?: unknown[]): Promise<T>;
  warp(seconds: number | bigint): void;
  now(): bigint;
  abi: Abi;
}

/** A fresh chain with the given accounts funded with ETH. */
export async function createChain(fund: PrivateKeyAccount[]): Promise<Chain> {
  const provider = await createProvider();
  const transport = custom(provider, { retryCount: 0 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 10 });
  for (const a of fund) await provider.request({ method: 'hardhat_setBalance', params: [a.address, toHex(10n ** 24n)] });
  const art = artifacts();
  // Every error of every contract, so a revert bubbled through the timelock still decodes.
  const abi = Object.values(art).flatMap((a) => a.abi.filter((x) => x.type === 'error')) as Abi;
  const abiOf = (name: string): Abi => {
    const a = art[name];
    if (!a) throw new Error(`no artifact ${name}`);
    return [...a.abi, ...abi.filter((e) => !a.abi.some((x) => x.type === 'error' && 'name' in x && 'name' in e && x.name === e.name))] as Abi;
  };
  const wallet = (from: PrivateKeyAccount) => createWalletClient({ account: from, chain, transport });
  return {
    provider,
    pub,
    abi,
    now: () => provider.now(),
    warp: (s) => provider.increaseTime(s),
    async deploy(from, name, args) {
      const hash = await wallet(from).deployContract({ abi: abiOf(name), bytecode: art[name]!.bytecode, args });
      const r = await pub.getTransactionReceipt({ hash });
      if (r.status !== 'success' || !r.contractAddress) throw new Error(`deploy ${name} failed`);
      return r.contractAddress;
    },
    async write(from, to, name, fn, args) {
      const hash = await wallet(from).writeContract({ address: to, abi: abiOf(name), functionName: fn, args, chain });
      return pub.getTransactionReceipt({ hash });
    },
    read(to, name, fn, args = []) {
      return pub.readContract({ address: to, abi: abiOf(name), functionName: fn, args }) as never;
    },
  };
}

/** The custom error a viem call failed with: `{ name, args }`, or throws if it did not revert that way. */
export function revertOf(e: unknown): { name: string; args: readonly unknown[] } {
  if (e instanceof BaseError) {
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (r instanceof ContractFunctionRevertedError && r.data) return { name: r.data.errorName, args: r.data.args ?? [] };
  }
  throw e;
}

/** Awaits `p`, which must revert with custom error `name`; returns the error's args. */
export async function reverts(p: Promise<unknown>, name: string): Promise<readonly unknown[]> {
  try {
    await p;
  } catch (e) {
    const r = revertOf(e);
    if (r.name !== name) throw new Error(`expected revert ${name}, got ${r.name}(${r.args.map(String).join(', ')})`);
    return r.args;
  }
  throw new Error(`expected revert ${name}, but the call succeeded`);
}

export const MESH = 10n ** 18n;

export interface Network {
  c: Chain;
  deployer: PrivateKeyAccount;
  token: Address;
  params: Address;
  timelock: Address;
  staking: Address;
  governor: Address;
}

/** Local profile of RULES.md: unbonding 120 s, voting delay 0, voting period 60 s, timelock 30 s. */
export const LOCAL = { unbondingDelay: 120n, votingDelay: 0, votingPeriod: 60, timelockDelay: 30n };

/**
 * Deploys MeshToken (faucet = deployer), TimelockController (owner of Params and treasury),
 * Params, Staking and MeshGovernor (the timelock's only proposer, canceller and executor, so every execution passes
 * the governor's timing check).
 */
export async function deployNetwork(c: Chain, deployer: PrivateKeyAccount, opts = LOCAL): Promise<Network> {
  const timelock = await c.deploy(deployer, 'TimelockController', [opts.timelockDelay, [], [], deployer.address]);
  const token = await c.deploy(deployer, 'MeshToken', [timelock, deployer.address, deployer.address]);
  const params = await c.deploy(deployer, 'Params', [timelock]);
  const staking = await c.deploy(deployer, 'Staking', [token, params, opts.unbondingDelay]);
  const governor = await c.deploy(deployer, 'MeshGovernor', [staking, timelock, opts.votingDelay, opts.votingPeriod]);
  for (const role of ['PROPOSER_ROLE', 'CANCELLER_ROLE', 'EXECUTOR_ROLE']) {
    const r = await c.read<Hex>(timelock, 'TimelockController', role);
    await c.write(deployer, timelock, 'TimelockController', 'grantRole', [r, governor]);
  }
  const admin = await c.read<Hex>(timelock, 'TimelockController', 'DEFAULT_ADMIN_ROLE');
  await c.write(deployer, timelock, 'TimelockController', 'renounceRole', [admin, deployer.address]);
  return { c, deployer, token, params, timelock, staking, governor };
}
