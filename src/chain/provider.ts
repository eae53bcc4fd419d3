/**
 * An EIP-1193 provider over @ethereumjs/vm: a real EVM in-process, which viem (or any EIP-1193
 * consumer) talks to exactly as to a wallet or an RPC node. Browser-safe: no Node built-ins here
 * (the file store lives in `file-store.ts`).
 *
 * - Automine: every accepted transaction is mined in its own block at once.
 * - Time: block timestamps follow a clock (wall time by default, or a manual clock for tests) plus
 *   an offset moved by `evm_increaseTime`; `evm_setNextBlockTimestamp` and `evm_mine` as in Hardhat.
 *   `eth_call`/`eth_estimateGas` run against the block that would be mined next, so a view of
 *   `block.timestamp` sees the travelled time at once.
 * - Persistence: an append-only log (genesis, raw transactions with their block timestamps, time
 *   offsets, balance changes). On start the log is replayed into a fresh VM: the same bytes at the
 *   same timestamps give the same state, block hashes and addresses.
 *
 * Requests are serialised: the VM's state manager is not safe for concurrent use.
 */
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { createBlock, type Block } from '@ethereumjs/block';
import { createFeeMarket1559Tx, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { createAccount, createAddressFromString, bigIntToHex, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import type { EIP1193Parameters, EIP1193RequestFn, Hex } from 'viem';

/** A JSON-RPC error as EIP-1193 defines it (`code`, `message`, optional `data`). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** First record of a chain log: what the chain was created with. */
export interface ChainGenesis {
  chainId: number;
  timestamp: number;
  alloc: { address: Hex; balance: Hex }[];
}

/** One state-changing event after genesis, in order. */
export type ChainLogEntry =
  | { t: 'tx'; raw: Hex; ts: number }
  | { t: 'mine'; ts: number }
  | { t: 'offset'; offset: number }
  | { t: 'balance'; address: Hex; balance: Hex };

/** Where a chain keeps its log. `load` returns undefined for a chain never started. */
export interface ChainStore {
  load(): Promise<{ genesis: ChainGenesis; entries: ChainLogEntry[] } | undefined>;
  init(genesis: ChainGenesis): Promise<void>;
  append(entry: ChainLogEntry): Promise<void>;
}

/** A store that forgets everything when the process ends (tests, one-off runs). */
export function memoryStore(): ChainStore & { genesis?: ChainGenesis; entries: ChainLogEntry[] } {
  const s: ChainStore & { genesis?: ChainGenesis; entries: ChainLogEntry[] } = {
    entries: [],
    async load() {
      return s.genesis ? { genesis: s.genesis, entries: [...s.entries] } : undefined;
    },
    async init(genesis) {
      s.genesis = genesis;
      s.entries = [];
    },
    async append(entry) {
      s.entries.push(entry);
    },
  };
  return s;
}

export interface ChainProviderOptions {
  /** Default 31337. Ignored when the store already holds a chain (its genesis wins). */
  chainId?: number;
  /** Accounts funded with ether at genesis. */
  alloc?: { address: Hex; balance: bigint }[];
  /** Genesis block timestamp (seconds). Default: now. */
  genesisTimestamp?: number;
  /**
   * `wall` (default): time is the wall clock plus the travelled offset. `manual`: time is the
   * genesis timestamp plus the offset, and each block adds one second; deterministic for tests.
   */
  clock?: 'wall' | 'manual';
  /** Where the log lives. Default: memory. */
  store?: ChainStore;
  /** Block gas limit. Default 60M. */
  gasLimit?: bigint;
  /** Fixed base fee. Default 1 gwei. */
  baseFee?: bigint;
}

/** The provider plus the handles tests and servers use. */
export interface ChainProvider {
  request: EIP1193RequestFn;
  readonly chainId: number;
  readonly vm: VM;
  /** Seconds of the block that would be mined now. */
  nextTimestamp(): number;
  /** Number of the latest block. */
  blockNumber(): bigint;
}

interface RpcLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  logIndex: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  removed: false;
}
interface RpcReceipt {
  transactionHash: Hex;
  transactionIndex: Hex;
  blockHash: Hex;
  blockNumber: Hex;
  from: Hex;
  to: Hex | null;
  cumulativeGasUsed: Hex;
  gasUsed: Hex;
  effectiveGasPrice: Hex;
  contractAddress: Hex | null;
  logsBloom: Hex;
  status: Hex;
  type: Hex;
  logs: RpcLog[];
}
interface MinedBlock {
  block: Block;
  hash: Hex;
  receipts: RpcReceipt[];
  txs: TypedTransaction[];
}

const q = (n: bigint | number): Hex => bigIntToHex(BigInt(n)) as Hex;
const ZERO32 = `0x${'00'.repeat(32)}` as Hex;
const ZERO20 = `0x${'00'.repeat(20)}` as Hex;
const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0] ?? '';

/** Creates (or, when the store holds a log, restores) a chain and returns its EIP-1193 provider. */
export async function createChainProvider(options: ChainProviderOptions = {}): Promise<ChainProvider> {
  const store = options.store ?? memoryStore();
  const gasLimit = options.gasLimit ?? 60_000_000n;
  const baseFee = options.baseFee ?? 1_000_000_000n;
  const clock = options.clock ?? 'wall';
  const saved = await store.load();
  const genesis: ChainGenesis = saved?.genesis ?? {
    chainId: options.chainId ?? 31337,
    timestamp: options.genesisTimestamp ?? Math.floor(Date.now() / 1000),
    alloc: (options.alloc ?? []).map((a) => ({ address: a.address, balance: q(a.balance) })),
  };
  if (!saved) await store.init(genesis);

  const chainId = genesis.chainId;
  const common = createCustomCommon({ chainId, name: 'tabmesh-local' }, Mainnet, { hardfork: Hardfork.Cancun });
  const vm = await createVM({ common });
  for (const a of genesis.alloc) await vm.stateManager.putAccount(createAddressFromString(a.address), createAccount({ balance: BigInt(a.balance) }));

  const blocks: MinedBlock[] = [];
  const blockByHash = new Map<string, MinedBlock>();
  const txByHash = new Map<string, { receipt: RpcReceipt; tx: TypedTransaction }>();
  let offset = 0;
  let nextTs: number | undefined; // evm_setNextBlockTimestamp
  let replaying = false;

  const head = () => blocks[blocks.length - 1] as MinedBlock;
  const nowSeconds = () => (clock === 'wall' ? Math.floor(Date.now() / 1000) : genesis.timestamp) + offset;
  const nextTimestamp = () => {
    if (!blocks.length) return genesis.timestamp;
    const prev = Number(head().block.header.timestamp);
    return Math.max(prev + 1, nextTs ?? nowSeconds());
  };
  const makeBlock = (number: bigint, timestamp: number) =>
    createBlock(
      { header: { number, timestamp: BigInt(timestamp), gasLimit, baseFeePerGas: baseFee, coinbase: ZERO20, parentHash: blocks.length ? head().block.hash() : new Uint8Array(32) } },
      { common },
    );
  const pushBlock = (block: Block, receipts: RpcReceipt[], txs: TypedTransaction[]) => {
    const mb: MinedBlock = { block, hash: bytesToHex(block.hash()) as Hex, receipts, txs };
    blocks.push(mb);
    blockByHash.set(mb.hash, mb);
    nextTs = undefined;
    return mb;
  };
  pushBlock(makeBlock(0n, genesis.timestamp), [], []);

  const log = async (entry: ChainLogEntry) => {
    if (!replaying) await store.append(entry);
  };

  async function simulate(call: { from?: Hex; to?: Hex; data?: Hex; input?: Hex; value?: Hex; gas?: Hex }) {
    const sm = vm.stateManager;
    const from = createAddressFromString(call.from ?? ZERO20);
    await sm.checkpoint();
    // A fresh access set, warmed as a transaction's would be (EIP-2929/3651): otherwise slots an
    // earlier eth_call touched stay warm and estimates come out too low.
    const journal = vm.evm.journal;
    await journal.cleanup();
    journal.addAlwaysWarmAddress(from.toString().slice(2));
    if (call.to) journal.addAlwaysWarmAddress(call.to.slice(2).toLowerCase());
    journal.addAlwaysWarmAddress(ZERO20.slice(2));
    for (let i = 1; i <= 10; i++) journal.addAlwaysWarmAddress(i.toString(16).padStart(40, '0'));
    try {
      return await vm.evm.runCall({
        caller: from,
        origin: from,
        to: call.to ? createAddressFromString(call.to) : undefined,
        data: hexToBytes(call.data ?? call.input ?? '0x'),
        value: call.value ? BigInt(call.value) : 0n,
        gasLimit: call.gas ? BigInt(call.gas) : gasLimit,
        block: makeBlock(head().block.header.number + 1n, nextTimestamp()),
        skipBalance: true,
      });
    } finally {
      await sm.revert();
      await journal.cleanup();
    }
  }

  async function mine(ts: number, tx?: TypedTransaction, raw?: Hex): Promise<MinedBlock> {
    const block = makeBlock(head().block.header.number + 1n, ts);
    if (!tx) {
      const mb = pushBlock(block, [], []);
      await log({ t: 'mine', ts });
      return mb;
    }
    let res;
    try {
      res = await runTx(vm, { tx, block, skipHardForkValidation: true });
    } catch (e) {
      throw new RpcError(-32000, firstLine(e));
    }
    const hash = bytesToHex(tx.hash()) as Hex;
    const blockHash = bytesToHex(block.hash()) as Hex;
    const blockNumber = q(block.header.number);
    const price = 'maxFeePerGas' in tx ? baseFee + minBig(tx.maxPriorityFeePerGas, tx.maxFeePerGas - baseFee) : (tx as { gasPrice: bigint }).gasPrice;
    const receipt: RpcReceipt = {
      transactionHash: hash,
      transactionIndex: '0x0',
      blockHash,
      blockNumber,
      from: tx.getSenderAddress().toString() as Hex,
      to: (tx.to?.toString() as Hex | undefined) ?? null,
      cumulativeGasUsed: q(res.totalGasSpent),
      gasUsed: q(res.totalGasSpent),
      effectiveGasPrice: q(price),
      contractAddress: (res.createdAddress?.toString() as Hex | undefined) ?? null,
      logsBloom: bytesToHex(res.bloom.bitvector) as Hex,
      status: res.execResult.exceptionError ? '0x0' : '0x1',
      type: q(tx.type),
      logs: (res.execResult.logs ?? []).map(([address, topics, data], i) => ({
        address: bytesToHex(address) as Hex,
        topics: topics.map((t) => bytesToHex(t) as Hex),
        data: bytesToHex(data) as Hex,
        logIndex: q(i),
        blockNumber,
        blockHash,
        transactionHash: hash,
        transactionIndex: '0x0',
        removed: false,
      })),
    };
    pushBlock(block, [receipt], [tx]);
    txByHash.set(hash, { receipt, tx });
    await log({ t: 'tx', raw: raw as Hex, ts });
    return head();
  }

  function decodeTx(raw: Hex): TypedTransaction {
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(hexToBytes(raw), { common });
    } catch (e) {
      const m = firstLine(e);
      throw new RpcError(-32000, /chain ?id/i.test(m) ? `invalid chainId: this chain is ${chainId}` : `invalid raw transaction: ${m}`);
    }
    if ('chainId' in tx && tx.chainId !== BigInt(chainId)) throw new RpcError(-32000, `invalid chainId: this chain is ${chainId}`);
    if (!tx.isSigned()) throw new RpcError(-32000, 'transaction is not signed');
    return tx;
  }

  async function sendRaw(raw: Hex): Promise<Hex> {
    const tx = decodeTx(raw);
    const hash = bytesToHex(tx.hash()) as Hex;
    if (txByHash.has(hash)) throw new RpcError(-32000, 'already known');
    await mine(nextTimestamp(), tx, raw);
    return hash;
  }

  const pickBlock = (tag: unknown): MinedBlock | undefined => {
    if (tag === undefined || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') return head();
    if (tag === 'earliest') return blocks[0];
    return blocks[Number(BigInt(tag as Hex))];
  };
  const blockJson = (b: MinedBlock, full: boolean) => ({
    number: q(b.block.header.number),
    hash: b.hash,
    parentHash: bytesToHex(b.block.header.parentHash),
    timestamp: q(b.block.header.timestamp),
    gasLimit: q(gasLimit),
    gasUsed: q(b.receipts.reduce((s, r) => s + BigInt(r.gasUsed), 0n)),
    baseFeePerGas: q(baseFee),
    miner: ZERO20,
    difficulty: '0x0',
    totalDifficulty: '0x0',
    nonce: '0x0000000000000000',
    extraData: '0x',
    logsBloom: b.receipts[0]?.logsBloom ?? `0x${'00'.repeat(256)}`,
    transactions: full ? b.txs.map((t) => txJson(t, b.receipts[0] as RpcReceipt)) : b.receipts.map((r) => r.transactionHash),
    uncles: [],
    size: '0x0',
    stateRoot: ZERO32,
    transactionsRoot: ZERO32,
    receiptsRoot: ZERO32,
    sha3Uncles: ZERO32,
    mixHash: ZERO32,
    withdrawals: [],
    withdrawalsRoot: ZERO32,
    blobGasUsed: '0x0',
    excessBlobGas: '0x0',
    parentBeaconBlockRoot: ZERO32,
  });
  const txJson = (tx: TypedTransaction, r: RpcReceipt) => {
    const j = tx.toJSON() as Record<string, unknown>;
    return { ...j, gas: j.gasLimit, hash: r.transactionHash, from: r.from, to: r.to, blockHash: r.blockHash, blockNumber: r.blockNumber, transactionIndex: '0x0', input: j.data, type: q(tx.type), chainId: q(chainId) };
  };
  const account = async (a: Hex) => vm.stateManager.getAccount(createAddressFromString(a));

  const methods: Record<string, (params: any[]) => unknown> = {
    web3_clientVersion: () => 'tabmesh-chain/1 (@ethereumjs/vm 10)',
    eth_chainId: () => q(chainId),
    net_version: () => String(chainId),
    net_listening: () => true,
    eth_syncing: () => false,
    eth_accounts: () => [],
    eth_blockNumber: () => q(head().block.header.number),
    eth_gasPrice: () => q(baseFee + 1n),
    eth_maxPriorityFeePerGas: () => q(1n),
    eth_getBlockByNumber: ([tag, full]) => {
      const b = pickBlock(tag);
      return b ? blockJson(b, !!full) : null;
    },
    eth_getBlockByHash: ([h, full]) => {
      const b = blockByHash.get(String(h).toLowerCase());
      return b ? blockJson(b, !!full) : null;
    },
    eth_getBalance: async ([a]) => q((await account(a))?.balance ?? 0n),
    eth_getTransactionCount: async ([a]) => q((await account(a))?.nonce ?? 0n),
    eth_getCode: async ([a]) => bytesToHex(await vm.stateManager.getCode(createAddressFromString(a))),
    eth_getStorageAt: async ([a, slot]) => {
      const v = await vm.stateManager.getStorage(createAddressFromString(a), setLengthLeft(hexToBytes(slot as Hex), 32));
      return bytesToHex(setLengthLeft(v, 32));
    },
    eth_call: async ([c]) => {
      const r = await simulate(c);
      if (r.execResult.exceptionError) throw revertError(r.execResult.returnValue, r.execResult.exceptionError.error);
      return bytesToHex(r.execResult.returnValue);
    },
    eth_estimateGas: async ([c]) => {
      const r = await simulate(c);
      if (r.execResult.exceptionError) throw revertError(r.execResult.returnValue, r.execResult.exceptionError.error);
      const intrinsic = createFeeMarket1559Tx({ to: c.to, data: c.data ?? c.input ?? '0x', gasLimit }, { common }).getIntrinsicGas();
      // Gas used is not gas needed: each CALL keeps back 1/64 of what is left, and refunds come
      // at the end. Like geth, try a limit and raise it until the call succeeds with it.
      let execLimit = (r.execResult.executionGasUsed * 64n) / 63n + 5_000n;
      while (execLimit < gasLimit) {
        const check = await simulate({ ...c, gas: q(execLimit) });
        if (!check.execResult.exceptionError) break;
        execLimit = (execLimit * 5n) / 4n;
      }
      return q(minBig(intrinsic + execLimit, gasLimit));
    },
    eth_sendRawTransaction: ([raw]) => sendRaw(raw),
    eth_getTransactionReceipt: ([h]) => txByHash.get(String(h).toLowerCase())?.receipt ?? null,
    eth_getTransactionByHash: ([h]) => {
      const t = txByHash.get(String(h).toLowerCase());
      return t ? txJson(t.tx, t.receipt) : null;
    },
    eth_getLogs: ([f]) => filterLogs(f ?? {}),
    evm_increaseTime: async ([s]) => {
      const by = Number(BigInt(s));
      if (!Number.isSafeInteger(by) || by < 0) throw new RpcError(-32602, 'evm_increaseTime: seconds must be a non-negative integer');
      // Manual clock: time only moves with blocks, so travel starts from the next block's time.
      offset = clock === 'manual' ? nextTimestamp() - genesis.timestamp + by : offset + by;
      await log({ t: 'offset', offset });
      return offset;
    },
    evm_setNextBlockTimestamp: ([s]) => {
      const ts = Number(BigInt(s));
      if (ts <= Number(head().block.header.timestamp)) throw new RpcError(-32602, 'evm_setNextBlockTimestamp: timestamp must be after the latest block');
      nextTs = ts;
      return null;
    },
    evm_mine: async ([s]) => {
      const ts = s === undefined ? nextTimestamp() : Number(BigInt(s));
      if (ts <= Number(head().block.header.timestamp)) throw new RpcError(-32602, 'evm_mine: timestamp must be after the latest block');
      await mine(ts);
      return '0x0';
    },
    hardhat_setBalance: async ([a, bal]) => {
      const addr = createAddressFromString(a);
      const acc = (await vm.stateManager.getAccount(addr)) ?? createAccount({});
      acc.balance = BigInt(bal);
      await vm.stateManager.putAccount(addr, acc);
      await log({ t: 'balance', address: a, balance: q(BigInt(bal)) });
      return true;
    },
  };
  methods.anvil_setBalance = methods.hardhat_setBalance!;
  methods.hardhat_mine = methods.evm_mine!;

  function filterLogs(f: { fromBlock?: Hex | string; toBlock?: Hex | string; address?: Hex | Hex[]; topics?: (Hex | Hex[] | null)[]; blockHash?: Hex }) {
    const num = (tag: string | undefined, dflt: number) =>
      tag === undefined ? dflt : tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized' ? blocks.length - 1 : tag === 'earliest' ? 0 : Number(BigInt(tag));
    let range: MinedBlock[];
    if (f.blockHash) {
      const b = blockByHash.get(f.blockHash.toLowerCase());
      range = b ? [b] : [];
    } else range = blocks.slice(num(f.fromBlock, blocks.length - 1), num(f.toBlock, blocks.length - 1) + 1);
    const addrs = f.address ? ([] as Hex[]).concat(f.address).map((a) => a.toLowerCase()) : null;
    const topics = f.topics ?? [];
    return range.flatMap((b) =>
      b.receipts.flatMap((r) => r.logs).filter((l) => (!addrs || addrs.includes(l.address.toLowerCase())) && topics.every((t, i) => t == null || ([] as Hex[]).concat(t).map((x) => x.toLowerCase()).includes(l.topics[i]?.toLowerCase() as Hex))),
    );
  }

  // Replay the stored log into the fresh VM.
  if (saved) {
    replaying = true;
    try {
      for (const e of saved.entries) {
        if (e.t === 'tx') await mine(e.ts, decodeTx(e.raw), e.raw);
        else if (e.t === 'mine') await mine(e.ts);
        else if (e.t === 'offset') offset = e.offset;
        else await methods.hardhat_setBalance!([e.address, e.balance]);
      }
    } finally {
      replaying = false;
    }
  }

  let queue: Promise<unknown> = Promise.resolve();
  const request = (async ({ method, params }: EIP1193Parameters) => {
    const m = methods[method];
    if (!m) throw new RpcError(-32601, `method ${method} not supported`);
    const run = queue.then(() => m((params as unknown[] | undefined) ?? []));
    queue = run.catch(() => {});
    return run;
  }) as EIP1193RequestFn;

  return { request, chainId, vm, nextTimestamp, blockNumber: () => head().block.header.number };
}

function minBig(a: bigint, b: bigint) {
  return a < b ? a : b;
}

/** `execution reverted` with the revert data, as geth returns it (viem decodes custom errors from it). */
function revertError(returnValue: Uint8Array, reason: string): RpcError {
  const data = bytesToHex(returnValue);
  return new RpcError(3, reason === 'revert' ? 'execution reverted' : `execution reverted: ${reason}`, data);
}
