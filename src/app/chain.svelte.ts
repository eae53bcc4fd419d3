/**
 * What the Ledger, Staking, Governance and Economy views show about the chain, as reactive state.
 *
 * Each view calls `chain.watch(kind)` from an `$effect`: the state of that kind is read at once and
 * then every {@link POLL_MS} ms while the view is open (the returned cleanup stops it). Reads go
 * through the tab's own viem clients (`node.payments.chain`) once the node runs with a chain, and
 * through a read-only public client over the configured RPC before that (or when the mesh could
 * not start), so the Economy and Governance views still show the chain. Writes (settle, bond,
 * vote, ...) need the tab's identity: they are `null`-safe and refuse with a plain message when
 * there is none. Every failure is kept as a message on the state, never thrown at the view.
 *
 * Amounts are wei (bigint); `formatMesh` turns them into text.
 */
import {
  createPublicClient,
  decodeFunctionData,
  encodeFunctionData,
  formatUnits,
  getAddress,
  http,
  keccak256,
  parseEventLogs,
  stringToBytes,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem';
import { network } from './network.svelte.ts';
import { chainConfigFromEnv, type ChainConfig } from '../chain/config.ts';
import { meshGovernorAbi, meshTokenAbi, paramsAbi, settlementAbi, stakingAbi } from '../chain/artifacts.ts';
import { decodeRevert } from '../chain/errors.ts';
import { GENESIS_SUPPLY, HARD_BOUNDS, PARAM_NAMES, bounds as paramBounds, type ParamName, type Params } from '../economy/index.ts';
import type { Payments, PaymentsSummary } from '../node/payments.ts';
import type { SettlementStatus } from '../ledger/store.ts';

export const POLL_MS = 2_000;

export type Kind = 'ledger' | 'staking' | 'governance' | 'economy';

/** `none`: no chain configured; `read-only`: the chain is readable but this tab has no identity on it (yet). */
export type Access = { kind: 'none'; message: string } | { kind: 'read-only'; message: string } | { kind: 'ready'; payments: Payments };

// ------------------------------------------------------------------ formatting

/** `1234.5 MESH` style: thousands separators, at most `digits` decimals (trailing zeros dropped). */
export function formatMesh(wei: bigint | null | undefined, digits = 4, unit = true): string {
  if (wei === null || wei === undefined) return '—';
  const neg = wei < 0n;
  const s = formatUnits(neg ? -wei : wei, 18);
  const [int = '0', frac = ''] = s.split('.');
  let f = frac.slice(0, digits).replace(/0+$/, '');
  if (!f && frac && /[1-9]/.test(frac) && int === '0') f = frac.slice(0, 18).replace(/0+$/, ''); // tiny amounts stay visible
  const text = `${neg ? '−' : ''}${BigInt(int).toLocaleString('en-US')}${f ? `.${f}` : ''}`;
  return unit ? `${text} MESH` : text;
}

export function shortAddr(a: string | null | undefined): string {
  return a ? `${a.slice(0, 6)}…${a.slice(-4)}` : '—';
}

export function shortHash(h: string | null | undefined): string {
  return h ? `${h.slice(0, 10)}…${h.slice(-6)}` : '—';
}

/** Seconds from now, as "in 1 min 5 s" / "3 s ago". */
export function relTime(atSeconds: number, nowSeconds = Date.now() / 1000): string {
  const d = Math.round(atSeconds - nowSeconds);
  const a = Math.abs(d);
  const t = a >= 86_400 ? `${Math.floor(a / 86_400)} d ${Math.floor((a % 86_400) / 3600)} h` : a >= 3600 ? `${Math.floor(a / 3600)} h ${Math.floor((a % 3600) / 60)} min` : a >= 60 ? `${Math.floor(a / 60)} min ${a % 60} s` : `${a} s`;
  return d >= 0 ? `in ${t}` : `${t} ago`;
}

/** How a governed parameter is entered and shown: bps, a MESH amount, or a plain count. */
export type ParamUnit = 'bps' | 'mesh' | 'count';
export function paramUnit(name: ParamName): ParamUnit {
  return name === 'minStake' || name === 'minPricePerWork' || name === 'maxPricePerWork' ? 'mesh' : name === 'replicationDefault' ? 'count' : 'bps';
}
export function formatParam(name: ParamName, v: bigint): string {
  const u = paramUnit(name);
  if (u === 'mesh') return formatMesh(v, 9);
  if (u === 'count') return v.toString();
  return `${v.toLocaleString('en-US')} bps (${(Number(v) / 100).toFixed(2).replace(/\.?0+$/, '')}%)`;
}

/** The message of an error for the page: a decoded revert by its custom error, else the first line. */
export function errorText(e: unknown): string {
  const r = decodeRevert(e, [...settlementAbi, ...stakingAbi, ...meshGovernorAbi, ...paramsAbi, ...meshTokenAbi] as Abi);
  if (r) return `the contract refused: ${r.errorName}(${r.args.map(String).join(', ')})`;
  const err = e as Error;
  const msg = (err as { shortMessage?: string }).shortMessage ?? err?.message ?? String(e);
  return msg.split('\n')[0] ?? msg;
}

// ------------------------------------------------------------------ state shapes

export type ReceiptStatus = SettlementStatus | 'pending';

export interface ReceiptRow {
  digest: Hex;
  requester: Address;
  worker: Address;
  cumulativeAmount: bigint;
  cumulativeWork: bigint;
  status: ReceiptStatus;
  epoch: number | undefined;
  /** This tab is the worker (in) or the requester (out). */
  side: 'in' | 'out' | 'other';
}

export interface LedgerData {
  summary: PaymentsSummary;
  payout: Address;
  walletConnected: boolean;
  peerId: string;
  receipts: ReceiptRow[];
  block: bigint;
}

export interface UnbondEntry {
  amount: bigint;
  releaseAt: number;
}

export interface SlashRow {
  operator: Address;
  reporter: Address;
  amount: bigint;
  burned: bigint;
  jobId: Hex;
  unit: number;
  block: bigint;
  tx: Hex;
}

export interface StakingData {
  operator: Address;
  staker: Address;
  bonded: bigint;
  unbonding: bigint;
  entries: UnbondEntry[];
  withdrawable: bigint;
  minStake: bigint;
  eligible: boolean;
  tokenBalance: bigint;
  votes: bigint;
  delegate: Address;
  unbondingDelay: number;
  totalBonded: bigint;
  totalSlashed: bigint;
  slashes: SlashRow[];
  now: number;
}

export const PROPOSAL_STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed'] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

export interface ProposalAction {
  target: Address;
  /** Decoded `Params.set(id, value)`, when it is one. */
  param: { id: number; name: ParamName | null; value: bigint; min: bigint; max: bigint } | null;
}

export interface Proposal {
  id: bigint;
  proposer: Address;
  description: string;
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  actions: ProposalAction[];
  voteStart: number;
  voteEnd: number;
  state: ProposalState;
  against: bigint;
  for: bigint;
  abstain: bigint;
  /** Votes needed (for + abstain), once the snapshot is past. */
  quorum: bigint | null;
  eta: number;
  hasVoted: boolean;
  block: bigint;
}

export interface GovernanceData {
  proposals: Proposal[];
  params: Params;
  votes: bigint;
  threshold: bigint;
  timelockDelay: number;
  votingPeriod: number;
  now: number;
}

export interface Sample {
  block: number;
  supply: number;
  burned: number;
  emitted: number;
  staked: number;
}

export interface EconomyData {
  totalSupply: bigint;
  cap: bigint;
  emitted: bigint;
  burned: bigint;
  slashBurned: bigint;
  staked: bigint;
  treasury: bigint;
  epoch: bigint;
  scheduled: bigint;
  budget: bigint;
  minPricePerWork: bigint;
  maxPricePerWork: bigint;
  params: Params;
  block: bigint;
  epochSeconds: number;
  genesisTime: number;
}

interface Slot<T> {
  data: T | null;
  error: string | null;
  /** When the last successful read finished (ms). */
  at: number;
}

const empty = <T>(): Slot<T> => ({ data: null, error: null, at: 0 });

function toParams(all: readonly bigint[]): Params {
  return Object.fromEntries(PARAM_NAMES.map((n, i) => [n, all[i] ?? 0n])) as unknown as Params;
}

/** Whole MESH as a float for plots (precision beyond 1e-6 MESH does not matter there). */
function meshFloat(wei: bigint): number {
  return Number(wei / 10n ** 12n) / 1e6;
}

// ------------------------------------------------------------------ the store

class ChainState {
  ledger = $state.raw<Slot<LedgerData>>(empty());
  staking = $state.raw<Slot<StakingData>>(empty());
  governance = $state.raw<Slot<GovernanceData>>(empty());
  economy = $state.raw<Slot<EconomyData>>(empty());
  /** Supply / burn / emitted / staked over blocks, from Transfer and EmissionClaimed events since the deployment. */
  history = $state.raw<Sample[]>([]);

  readonly #config: ChainConfig | null;
  readonly #configError: string | null;
  #reader: PublicClient | null = null;
  #busy = new Set<Kind>();
  #watchers = new Map<Kind, number>();
  // Incremental log scans (from the deployment block on).
  #slashes: SlashRow[] = [];
  #slashScanned = 0n;
  #proposals = new Map<bigint, Omit<Proposal, 'state' | 'against' | 'for' | 'abstain' | 'quorum' | 'eta' | 'hasVoted'>>();
  #govScanned = 0n;
  #econScanned = 0n;
  #minted = 0n;
  #burnedByTransfer = 0n;
  #emitted = 0n;
  #staked = 0n;
  #historyBase: Sample[] = [];

  constructor() {
    let config: ChainConfig | null = null;
    let error: string | null = null;
    try {
      config = chainConfigFromEnv();
    } catch (e) {
      error = (e as Error).message;
    }
    this.#config = config;
    this.#configError = error;
  }

  get config(): ChainConfig | null {
    return network.node?.payments?.config ?? this.#config;
  }

  /** What this tab can do with the chain now (reactive through the network status). */
  get access(): Access {
    const s = network.status;
    const payments = s.kind === 'online' ? network.node?.payments : null;
    if (payments) return { kind: 'ready', payments };
    if (!this.#config) {
      return {
        kind: 'none',
        message: this.#configError
          ? `The chain configuration is broken (${this.#configError}), so this page cannot show or move MESH.`
          : 'No chain is configured for this page, so there is no MESH to show: run `npm start` (it starts a local chain and hands the page its configuration), or build with VITE_TABMESH_CHAIN set for a real chain.',
      };
    }
    if (s.kind === 'online') return { kind: 'none', message: 'This tab runs without payments (its node was started without a chain), so it has no MESH of its own.' };
    if (s.kind === 'offline') return { kind: 'read-only', message: `The mesh node did not start (${s.message}), so this tab has no identity on the chain: it can read it but not act.` };
    return { kind: 'read-only', message: 'Connecting this tab to the network; its own balances appear once it is online.' };
  }

  #client(): PublicClient | null {
    const p = network.node?.payments;
    if (p) {
      try {
        return p.chain.publicClient as unknown as PublicClient;
      } catch {
        // stopped
      }
    }
    if (!this.#config) return null;
    this.#reader ??= createPublicClient({ transport: http(this.#config.rpcUrl, { batch: false, retryCount: 1 }) }) as PublicClient;
    return this.#reader;
  }

  #payments(): Payments | null {
    const a = this.access;
    return a.kind === 'ready' ? a.payments : null;
  }

  /** Reads `kind` now and every POLL_MS while at least one watcher is open; returns the cleanup. */
  watch(kind: Kind): () => void {
    this.#watchers.set(kind, (this.#watchers.get(kind) ?? 0) + 1);
    void this.refresh(kind);
    const t = setInterval(() => void this.refresh(kind), POLL_MS);
    return () => {
      clearInterval(t);
      this.#watchers.set(kind, (this.#watchers.get(kind) ?? 1) - 1);
    };
  }

  /** Reads one kind (skipped while a read of it is in flight). */
  async refresh(kind: Kind): Promise<void> {
    if (this.#busy.has(kind)) return;
    if (this.access.kind === 'none') return;
    this.#busy.add(kind);
    try {
      if (kind === 'ledger') await this.#run('ledger', () => this.#readLedger());
      else if (kind === 'staking') await this.#run('staking', () => this.#readStaking());
      else if (kind === 'governance') await this.#run('governance', () => this.#readGovernance());
      else await this.#run('economy', () => this.#readEconomy());
    } finally {
      this.#busy.delete(kind);
    }
  }

  async #run<K extends Kind>(kind: K, read: () => Promise<ChainState[K]['data'] | null>): Promise<void> {
    try {
      const data = await read();
      this[kind] = { data: (data ?? this[kind].data) as never, error: null, at: Date.now() } as never;
    } catch (e) {
      this[kind] = { ...this[kind], error: errorText(e) } as never;
    }
  }

  // ------------------------------------------------------------------ ledger

  async #readLedger(): Promise<LedgerData | null> {
    const p = this.#payments();
    if (!p) return null;
    const ledger = p.ledger;
    const [summary, receipts, settlements, block] = await Promise.all([p.summary(), ledger.receipts(), ledger.settlements(), p.chain.publicClient.getBlockNumber({ cacheTime: 0 })]);
    const byDigest = new Map(settlements.map((s) => [s.digest.toLowerCase(), s]));
    const me = p.address.toLowerCase();
    const rows: ReceiptRow[] = receipts.map((r) => {
      const s = byDigest.get(r.digest.toLowerCase());
      return {
        digest: r.digest,
        requester: r.requester,
        worker: r.worker,
        cumulativeAmount: r.cumulativeAmount,
        cumulativeWork: r.cumulativeWork,
        status: s?.status ?? 'pending',
        epoch: s?.epoch,
        side: r.worker.toLowerCase() === me ? 'in' : r.requester.toLowerCase() === me ? 'out' : 'other',
      };
    });
    const order = { in: 0, out: 1, other: 2 } as const;
    rows.sort((a, b) => order[a.side] - order[b.side] || (a.cumulativeAmount < b.cumulativeAmount ? 1 : a.cumulativeAmount > b.cumulativeAmount ? -1 : 0));
    const id = p.identity;
    return { summary, payout: id.payoutAddress, walletConnected: id.payoutAddress !== id.address, peerId: network.node?.peerId ?? '', receipts: rows, block };
  }

  async settleNow(): Promise<string> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity on the chain');
    const r = await p.settleNow();
    void this.refresh('ledger');
    const parts = [r.receipts ? `settled ${r.receipts} receipt${r.receipts === 1 ? '' : 's'} (${r.units} units, ${r.gasUsed} gas)` : 'nothing new to settle'];
    if (r.anchored.length) parts.push(`anchored epoch${r.anchored.length === 1 ? '' : 's'} ${r.anchored.join(', ')}`);
    if (r.emission > 0n) parts.push(`claimed ${formatMesh(r.emission)} of emission`);
    return parts.join('; ');
  }

  async inclusionProof(digest: Hex): Promise<{ leaf: Hex; epoch: number; epochRoot: Hex; proof: Hex[] } | null> {
    const p = this.#payments();
    return (await p?.ledger.inclusionProof(digest)) ?? null;
  }

  /** `Settlement.verifyInclusion(epoch, leaf, proof)` on-chain. */
  async verifyInclusion(epoch: number, leaf: Hex, proof: Hex[]): Promise<boolean> {
    const c = this.#client();
    const cfg = this.config;
    if (!c || !cfg) throw new Error('no chain');
    return (await c.readContract({ address: cfg.addresses.settlement, abi: settlementAbi, functionName: 'verifyInclusion', args: [BigInt(epoch), leaf, proof] })) as boolean;
  }

  async exportKey(password: string): Promise<{ name: string; json: string }> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity to export');
    const file = await p.identity.exportKeyFile(password);
    return { name: `tabmesh-key-${p.address}.json`, json: JSON.stringify(file, null, 2) };
  }

  async connectWallet(): Promise<Address> {
    const p = this.#payments();
    const eth = (globalThis as { ethereum?: { request(a: { method: string; params?: unknown[] }): Promise<unknown> } }).ethereum;
    if (!p) throw new Error('this tab has no identity on the chain');
    if (!eth) throw new Error('no wallet in this browser (window.ethereum is missing)');
    // Through Payments, so the node re-advertises its capability with the wallet as payout address.
    const link = await p.connectWallet(eth);
    void this.refresh('ledger');
    return link.address;
  }

  // ------------------------------------------------------------------ writes (as this tab)

  async #send(address: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<Hex> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity on the chain');
    const { publicClient, walletClient, account } = p.chain;
    let request: unknown;
    try {
      ({ request } = await publicClient.simulateContract({ address, abi, functionName, args, account } as never));
    } catch (e) {
      throw new Error(errorText(e), { cause: e });
    }
    const hash = await walletClient.writeContract(request as never);
    const rec = await publicClient.waitForTransactionReceipt({ hash });
    if (rec.status !== 'success') throw new Error(`${functionName}: transaction ${hash} reverted`);
    return hash;
  }

  #staking(): Address {
    const a = this.config?.addresses.staking;
    if (!a) throw new Error('this network has no Staking contract');
    return a;
  }

  #governor(): Address {
    const a = this.config?.addresses.governor;
    if (!a) throw new Error('this network has no MeshGovernor contract');
    return a;
  }

  async bond(amount: bigint): Promise<Hex> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity on the chain');
    const staking = this.#staking();
    const { contracts } = p.chain;
    const allowance = await contracts.token.read.allowance([p.address, staking]);
    if (allowance < amount) await this.#send(contracts.token.address, meshTokenAbi as Abi, 'approve', [staking, amount]);
    const hash = await this.#send(staking, stakingAbi as Abi, 'bond', [p.address, amount]);
    const c = this.#client()!;
    const del = (await c.readContract({ address: staking, abi: stakingAbi, functionName: 'delegates', args: [p.address] })) as Address;
    if (del === zeroAddress) await this.#send(staking, stakingAbi as Abi, 'delegate', [p.address]).catch(() => undefined);
    void this.refresh('staking');
    return hash;
  }

  async unbond(amount: bigint): Promise<Hex> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity on the chain');
    const hash = await this.#send(this.#staking(), stakingAbi as Abi, 'unbond', [p.address, amount]);
    void this.refresh('staking');
    return hash;
  }

  async withdrawUnbonded(): Promise<Hex> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity on the chain');
    const hash = await this.#send(this.#staking(), stakingAbi as Abi, 'withdrawUnbonded', [p.address]);
    void this.refresh('staking');
    return hash;
  }

  async delegateSelf(): Promise<Hex> {
    const p = this.#payments();
    if (!p) throw new Error('this tab has no identity on the chain');
    const hash = await this.#send(this.#staking(), stakingAbi as Abi, 'delegate', [p.address]);
    void this.refresh('staking');
    void this.refresh('governance');
    return hash;
  }

  async propose(id: number, value: bigint, description: string): Promise<Hex> {
    const cfg = this.config;
    if (!cfg) throw new Error('no chain');
    const data = encodeFunctionData({ abi: paramsAbi, functionName: 'set', args: [id, value] });
    const hash = await this.#send(this.#governor(), meshGovernorAbi as Abi, 'propose', [[cfg.addresses.params], [0n], [data], description]);
    void this.refresh('governance');
    return hash;
  }

  async castVote(proposalId: bigint, support: 0 | 1 | 2): Promise<Hex> {
    const hash = await this.#send(this.#governor(), meshGovernorAbi as Abi, 'castVote', [proposalId, support]);
    void this.refresh('governance');
    return hash;
  }

  async queueOrExecute(p: Proposal, what: 'queue' | 'execute'): Promise<Hex> {
    const descriptionHash = keccak256(stringToBytes(p.description));
    const hash = await this.#send(this.#governor(), meshGovernorAbi as Abi, what, [p.targets, p.values, p.calldatas, descriptionHash]);
    void this.refresh('governance');
    return hash;
  }

  // ------------------------------------------------------------------ staking

  async #readStaking(): Promise<StakingData | null> {
    const p = this.#payments();
    const c = this.#client();
    const staking = this.config?.addresses.staking;
    if (!p || !c || !staking) return null;
    const me = p.address;
    const read = <T>(functionName: string, args: readonly unknown[] = []) => c.readContract({ address: staking, abi: stakingAbi, functionName, args } as never) as Promise<T>;
    const [bonded, unbonding, entries, withdrawable, eligible, staker, votes, delegate, delay, totalBonded, totalSlashed, minStake, tokenBalance, head, block] = await Promise.all([
      read<bigint>('bonded', [me]),
      read<bigint>('unbonding', [me]),
      read<readonly [readonly bigint[], readonly (bigint | number)[]]>('unbondingEntries', [me]),
      read<bigint>('withdrawable', [me]),
      read<boolean>('isEligible', [me]),
      read<Address>('stakerOf', [me]),
      read<bigint>('getVotes', [me]),
      read<Address>('delegates', [me]),
      read<bigint>('unbondingDelay'),
      read<bigint>('totalBonded'),
      read<bigint>('totalSlashed'),
      c.readContract({ address: this.config!.addresses.params, abi: paramsAbi, functionName: 'minStake' }) as Promise<bigint>,
      c.readContract({ address: this.config!.addresses.token, abi: meshTokenAbi, functionName: 'balanceOf', args: [me] }) as Promise<bigint>,
      c.getBlockNumber({ cacheTime: 0 }),
      c.getBlock({ blockTag: 'latest' }),
    ]);
    const from = this.#slashScanned === 0n ? BigInt(this.config!.addresses.deployBlock) : this.#slashScanned + 1n;
    if (from <= head) {
      const logs = await c.getLogs({ address: staking, fromBlock: from, toBlock: head });
      for (const ev of parseEventLogs({ abi: stakingAbi, logs, eventName: 'Slashed' })) {
        const a = ev.args as unknown as { operator: Address; reporter: Address; amount: bigint; burned: bigint; jobId: Hex; unit: number };
        this.#slashes.push({ ...a, unit: Number(a.unit), block: ev.blockNumber, tx: ev.transactionHash });
      }
      this.#slashScanned = head;
    }
    const [amounts, releases] = entries;
    return {
      operator: me,
      staker,
      bonded,
      unbonding,
      entries: amounts.map((amount, i) => ({ amount, releaseAt: Number(releases[i] ?? 0) })),
      withdrawable,
      minStake,
      eligible,
      tokenBalance,
      votes,
      delegate,
      unbondingDelay: Number(delay),
      totalBonded,
      totalSlashed,
      slashes: [...this.#slashes].reverse(),
      now: chainNow(block.timestamp),
    };
  }

  // ------------------------------------------------------------------ governance

  async #readGovernance(): Promise<GovernanceData | null> {
    const c = this.#client();
    const cfg = this.config;
    const governor = cfg?.addresses.governor;
    if (!c || !cfg || !governor) return null;
    const gov = <T>(functionName: string, args: readonly unknown[] = []) => c.readContract({ address: governor, abi: meshGovernorAbi, functionName, args } as never) as Promise<T>;
    const [head, block, all, threshold] = await Promise.all([
      c.getBlockNumber({ cacheTime: 0 }),
      c.getBlock({ blockTag: 'latest' }),
      c.readContract({ address: cfg.addresses.params, abi: paramsAbi, functionName: 'all' }) as Promise<readonly bigint[]>,
      gov<bigint>('proposalThreshold'),
    ]);
    const params = toParams(all);
    const from = this.#govScanned === 0n ? BigInt(cfg.addresses.deployBlock) : this.#govScanned + 1n;
    if (from <= head) {
      const logs = await c.getLogs({ address: governor, fromBlock: from, toBlock: head });
      for (const ev of parseEventLogs({ abi: meshGovernorAbi, logs, eventName: 'ProposalCreated' })) {
        const a = ev.args as unknown as { proposalId: bigint; proposer: Address; targets: readonly Address[]; values: readonly bigint[]; calldatas: readonly Hex[]; voteStart: bigint; voteEnd: bigint; description: string };
        this.#proposals.set(a.proposalId, {
          id: a.proposalId,
          proposer: a.proposer,
          description: a.description,
          targets: [...a.targets],
          values: [...a.values],
          calldatas: [...a.calldatas],
          actions: a.targets.map((t, i) => ({ target: t, param: decodeParamSet(t, a.calldatas[i], cfg.addresses.params) })),
          voteStart: Number(a.voteStart),
          voteEnd: Number(a.voteEnd),
          block: ev.blockNumber,
        });
      }
      this.#govScanned = head;
    }
    const me = this.#payments()?.address;
    const now = chainNow(block.timestamp);
    const proposals = await Promise.all(
      [...this.#proposals.values()].map(async (base): Promise<Proposal> => {
        const [state, votes, eta, hasVoted, quorum] = await Promise.all([
          gov<number>('state', [base.id]),
          gov<readonly [bigint, bigint, bigint]>('proposalVotes', [base.id]),
          gov<bigint>('proposalEta', [base.id]),
          me ? gov<boolean>('hasVoted', [base.id, me]) : Promise.resolve(false),
          base.voteStart < now ? gov<bigint>('quorum', [BigInt(base.voteStart)]).catch(() => null) : Promise.resolve(null),
        ]);
        // Dependent bounds shown against today's parameters.
        const actions = base.actions.map((x) => (x.param && x.param.name ? { ...x, param: { ...x.param, ...paramBounds(x.param.id, params) } } : x));
        return { ...base, actions, state: PROPOSAL_STATES[Number(state)] ?? 'Pending', against: votes[0], for: votes[1], abstain: votes[2], eta: Number(eta), hasVoted, quorum };
      }),
    );
    proposals.sort((a, b) => (a.block < b.block ? 1 : -1));
    const votes = me && cfg.addresses.staking ? ((await c.readContract({ address: cfg.addresses.staking, abi: stakingAbi, functionName: 'getVotes', args: [me] })) as bigint) : 0n;
    return { proposals, params, votes, threshold, timelockDelay: cfg.addresses.profile.timelockDelay, votingPeriod: cfg.addresses.profile.votingPeriod, now };
  }

  // ------------------------------------------------------------------ economy

  async #readEconomy(): Promise<EconomyData | null> {
    const c = this.#client();
    const cfg = this.config;
    if (!c || !cfg) return null;
    const a = cfg.addresses;
    const tok = <T>(functionName: string, args: readonly unknown[] = []) => c.readContract({ address: a.token, abi: meshTokenAbi, functionName, args } as never) as Promise<T>;
    const set = <T>(functionName: string, args: readonly unknown[] = []) => c.readContract({ address: a.settlement, abi: settlementAbi, functionName, args } as never) as Promise<T>;
    const head = await c.getBlockNumber({ cacheTime: 0 });
    const [totalSupply, cap, staked, treasury, epoch, all, slashBurned] = await Promise.all([
      tok<bigint>('totalSupply'),
      tok<bigint>('cap'),
      a.staking ? tok<bigint>('balanceOf', [a.staking]) : Promise.resolve(0n),
      tok<bigint>('balanceOf', [a.treasury]),
      set<bigint>('currentEpoch'),
      c.readContract({ address: a.params, abi: paramsAbi, functionName: 'all' }) as Promise<readonly bigint[]>,
      a.staking ? (c.readContract({ address: a.staking, abi: stakingAbi, functionName: 'totalSlashBurned' }) as Promise<bigint>) : Promise.resolve(0n),
    ]);
    const scheduled = await set<bigint>('scheduledEmission', [epoch]);
    const params = toParams(all);
    // Mints, burns and emission claims since the deployment, read incrementally.
    const from = this.#econScanned === 0n ? BigInt(a.deployBlock) : this.#econScanned + 1n;
    if (from <= head) {
      const [tokenLogs, settleLogs] = await Promise.all([c.getLogs({ address: a.token, fromBlock: from, toBlock: head }), c.getLogs({ address: a.settlement, fromBlock: from, toBlock: head })]);
      type Ev = { block: bigint; log: bigint; minted: bigint; burned: bigint; emitted: bigint; staked: bigint };
      const st = a.staking ? getAddress(a.staking) : null;
      const evs: Ev[] = [];
      for (const ev of parseEventLogs({ abi: meshTokenAbi, logs: tokenLogs, eventName: 'Transfer' })) {
        const t = ev.args as unknown as { from: Address; to: Address; value: bigint };
        const e = { block: ev.blockNumber, log: BigInt(ev.logIndex), minted: 0n, burned: 0n, emitted: 0n, staked: 0n };
        if (t.from === zeroAddress) e.minted = t.value;
        else if (t.to === zeroAddress) e.burned = t.value;
        if (st && getAddress(t.to) === st) e.staked += t.value;
        if (st && getAddress(t.from) === st) e.staked -= t.value;
        if (e.minted || e.burned || e.staked) evs.push(e);
      }
      for (const ev of parseEventLogs({ abi: settlementAbi, logs: settleLogs, eventName: 'EmissionClaimed' })) {
        evs.push({ block: ev.blockNumber, log: BigInt(ev.logIndex), minted: 0n, burned: 0n, emitted: (ev.args as unknown as { reward: bigint }).reward, staked: 0n });
      }
      evs.sort((x, y) => (x.block === y.block ? Number(x.log - y.log) : x.block < y.block ? -1 : 1));
      for (const e of evs) {
        this.#minted += e.minted;
        this.#burnedByTransfer += e.burned;
        this.#emitted += e.emitted;
        this.#staked += e.staked;
        const point: Sample = { block: Number(e.block), supply: meshFloat(this.#minted - this.#burnedByTransfer), burned: meshFloat(this.#burnedByTransfer), emitted: meshFloat(this.#emitted), staked: meshFloat(this.#staked) };
        const last = this.#historyBase.at(-1);
        if (last && last.block === point.block) this.#historyBase[this.#historyBase.length - 1] = point;
        else this.#historyBase.push(point);
      }
      this.#econScanned = head;
    }
    const emitted = this.#emitted;
    const burned = GENESIS_SUPPLY + emitted - totalSupply;
    // The plotted history: a point per block with a mint, burn, stake move or emission claim, then the head.
    const now: Sample = { block: Number(head), supply: meshFloat(totalSupply), burned: meshFloat(burned > 0n ? burned : 0n), emitted: meshFloat(emitted), staked: meshFloat(staked) };
    this.history = [...this.#historyBase.filter((p) => p.block < now.block), now].slice(-2_000);
    const budgetRaw = (scheduled * params.emissionRateBps) / 10_000n;
    return {
      totalSupply,
      cap,
      emitted,
      burned,
      slashBurned,
      staked,
      treasury,
      epoch,
      scheduled,
      budget: budgetRaw,
      minPricePerWork: params.minPricePerWork,
      maxPricePerWork: params.maxPricePerWork,
      params,
      block: head,
      epochSeconds: a.profile.epochSeconds,
      genesisTime: Number(a.genesisTime),
    };
  }
}

/**
 * The chain's time now: a local chain only mines a block per transaction, so the latest block's
 * timestamp lags the clock that the next block (and every eth_call) sees; take the later one.
 */
function chainNow(blockTimestamp: bigint): number {
  return Math.max(Number(blockTimestamp), Math.floor(Date.now() / 1000));
}

/** `Params.set(id, value)` on the network's Params, decoded; null for anything else. */
function decodeParamSet(target: Address, data: Hex | undefined, params: Address): ProposalAction['param'] {
  if (!data || getAddress(target) !== getAddress(params)) return null;
  try {
    const d = decodeFunctionData({ abi: paramsAbi, data });
    if (d.functionName !== 'set') return null;
    const [idRaw, value] = d.args as readonly [number | bigint, bigint];
    const id = Number(idRaw);
    const name = PARAM_NAMES[id] ?? null;
    const b = name ? HARD_BOUNDS[name] : { min: 0n, max: 0n };
    return { id, name, value, min: b.min, max: b.max };
  } catch {
    return null;
  }
}

export const chain = new ChainState();

// `?debug` exposes the state to tests and devtools (beside `network`).
if (typeof location !== 'undefined' && new URLSearchParams(location.search).has('debug')) {
  const g = globalThis as { tabmesh?: Record<string, unknown> };
  g.tabmesh = { ...g.tabmesh, chain };
}
