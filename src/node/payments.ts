/**
 * A tab's money: its identity key, its ledger of receipts, and its chain client. Owned by
 * TabmeshNode, one per tab; it sits where the data flow says (results → receipts → ledger →
 * chain) and does four things:
 *
 * - **Requester side**: before a job, makes sure the tab's escrow covers the job's worst case
 *   (deposit, from the dev faucet on the local network); after it, signs ONE cumulative receipt per
 *   credited worker (RECEIPTS.md), stores it, delivers it to the worker and gossips it.
 * - **Worker side**: accepts receipts (checked like the contract would, stored before the ack),
 *   bonds the minimum stake before contributing, settles its receipts in batches on a schedule and
 *   on demand, anchors ended epochs (anyone may) and claims its emission.
 * - **Two addresses**: the identity key's address is the *operator* (it signs claims and chain
 *   transactions, holds the stake, is what equivocation slashes); the *payout* address is where
 *   receipts pay: the operator itself, or an EIP-1193 wallet linked with `connectWallet`. This tab
 *   settles receipts paying either (gas from the operator), and claims the payout address's
 *   emission with `claimEmissionFor` (anyone may pay the gas; it is minted to the payout address).
 * - **Every tab**: keeps the ledger in step with the chain (escrows, settled pairs, batches,
 *   anchors) and with other tabs (receipt gossip + the catch-up sync protocol for late joiners).
 * - **Scheduler input**: `isEligible(address)` answers from on-chain stake, so a requester only
 *   assigns units to workers whose stake it has seen on-chain.
 *
 * Chain access is only through viem (src/chain): the local network and a real chain differ only in
 * `ChainConfig` (RPC URL, addresses) and in whether the dev faucet exists.
 *
 * @example
 * const payments = new Payments({ chain: chainConfigFromEnv()!, mesh });
 * await payments.start();
 * await payments.ensureEscrow(10n ** 18n);
 * const receipts = await payments.payWorkers([{ address: worker, units: 20 }], 10n ** 15n);
 */
import {
  bytesToHex,
  getAddress,
  hashMessage,
  hashTypedData,
  hexToBytes,
  http,
  keccak256,
  parseEventLogs,
  serializeTransaction,
  type Abi,
  type Address,
  type Hex,
  type Transport,
} from 'viem';
import { toAccount } from 'viem/accounts';
import { createChainClients, localChain, networkContracts } from '../chain/clients.ts';
import { settlementAbi, stakingAbi } from '../chain/artifacts.ts';
import type { ChainConfig } from '../chain/config.ts';
import { decodeRevert } from '../chain/errors.ts';
import {
  IdbIdentityStore,
  type Eip1193Provider,
  IdbReceiptStore,
  Ledger,
  LocalIdentity,
  MemoryReceiptStore,
  ReceiptGossip,
  SyncClient,
  SyncServer,
  decodeReceiptMessage,
  encodeReceiptMessage,
  type Balances,
  type BatchRecord,
  type IdentityStore,
  type PeerLink,
  type ReceiptStore,
  type SignedReceipt,
  type StoredReceipt,
} from '../ledger/index.ts';
import type { MeshNode } from '../mesh/index.ts';
import type { EquivocationEvidence as JobEquivocation } from '../jobs/types.ts';

export interface PaymentsInit {
  chain: ChainConfig;
  mesh: MeshNode;
  /** Name of this tab's identity and ledger databases. Default 'default' (one identity per browser profile). */
  profile?: string;
  /** Identity store; default IndexedDB `tabmesh-identity[-profile]`. */
  identityStore?: IdentityStore;
  /** Receipt store; default IndexedDB `tabmesh-ledger[-profile]` where IndexedDB exists, else memory. */
  store?: ReceiptStore;
  /** viem transport; default `http(chain.rpcUrl)`. */
  transport?: Transport;
  /** Background settlement period, ms. Default: the chain's epoch length. 0 = only on demand. */
  settleEveryMs?: number;
  /** Chain polling period, ms. Default 2 000. */
  pollMs?: number;
  log?: (line: string) => void;
}

/** What the page shows: amounts in wei. */
export interface PaymentsSummary {
  /** The operator (identity) address: escrow and stake are its. */
  address: Address;
  /** Where receipts pay (identity address or linked wallet): pending, settled, anchored and tokenBalance are its. */
  payout: Address;
  /** Owed to this tab by receipts not settled yet. */
  pending: bigint;
  /** Settled on-chain to this tab (gross, before the fee split). */
  settled: bigint;
  /** Part of `settled` whose epoch root is anchored. */
  anchored: bigint;
  /** The payout address's MESH balance on-chain. */
  tokenBalance: bigint;
  escrow: bigint;
  bonded: bigint;
  emissionClaimed: bigint;
  receipts: number;
}

export interface SettleReport {
  receipts: number;
  txHash: Hex | null;
  gasUsed: bigint;
  units: bigint;
  anchored: number[];
  emission: bigint;
}

/** A requester's escrow could not be brought to what a job may cost (no funds, chain unreachable). */
export class EscrowUnavailableError extends Error {
  override readonly name = 'EscrowUnavailableError';
}

/** A contributor could not bond the minimum stake, so requesters would not assign it units. */
export class StakeUnavailableError extends Error {
  override readonly name = 'StakeUnavailableError';
}

/** The custom errors a Payments transaction can revert with (decoded into ContractRevertError). */
const REVERT_ABI = [...settlementAbi, ...stakingAbi].filter((x) => x.type === 'error') as Abi;

/** Balances are keyed by address; the ledger lowercases them, callers may not. */
function lookup<T>(map: Record<string, T>, address: string): T | undefined {
  return map[address.toLowerCase()] ?? map[getAddress(address)];
}

function hasIndexedDb(): boolean {
  return typeof indexedDB !== 'undefined';
}

/** viem clients, account and typed contracts acting as `identity` (whose key never leaves it). */
function chainAccess(config: ChainConfig, identity: LocalIdentity, transportOverride?: Transport) {
    const c = config;
    const transport = transportOverride ?? http(c.rpcUrl, { batch: false, retryCount: 1 });
    // The tab's key never leaves LocalIdentity: the viem account signs through its signDigest.
    const sign = (digest: Hex) => {
      const sig = identity.signDigest(hexToBytes(digest));
      return { r: bytesToHex(sig.subarray(0, 32)), s: bytesToHex(sig.subarray(32, 64)), v: BigInt(sig[64] as number) };
    };
    const joined = (digest: Hex): Hex => {
      const { r, s, v } = sign(digest);
      return `${r}${s.slice(2)}${v.toString(16).padStart(2, '0')}` as Hex;
    };
    const account = toAccount({
      address: identity.address,
      async signMessage({ message }) {
        return joined(hashMessage(message));
      },
      async signTransaction(tx, opts) {
        const serializer = opts?.serializer ?? serializeTransaction;
        const { r, s, v } = sign(keccak256(await serializer(tx)));
        return (await serializer(tx, { r, s, yParity: Number(v - 27n) })) as Hex;
      },
      async signTypedData(td) {
        return joined(hashTypedData(td as Parameters<typeof hashTypedData>[0]));
      },
    });
    const chain = localChain(c.chainId, c.rpcUrl);
    const { publicClient, walletClient } = createChainClients({ transport, chain, account, pollingInterval: 100 });
    const contracts = networkContracts(c.addresses, { public: publicClient, wallet: walletClient });
    return { publicClient, walletClient, account, contracts, transport };
  }

export type ChainAccess = ReturnType<typeof chainAccess>;

export class Payments extends EventTarget {
  readonly config: ChainConfig;
  readonly #init: PaymentsInit;
  #identity: LocalIdentity | null = null;
  #peerLink: PeerLink | null = null;
  #ledger: Ledger | null = null;
  #clients: ChainAccess | null = null;
  #gossip: ReceiptGossip | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];
  #scannedTo = 0n;
  #leaves = new Map<Hex, Hex[]>();
  #eligible = new Map<string, { ok: boolean; at: number }>();
  readonly #eligibleReads = new Map<string, Promise<boolean>>();
  #emissionClaimed = 0n;
  #settling: Promise<SettleReport> | null = null;
  #unsubscribe: (() => void) | null = null;
  #polling: Promise<void> | null = null;
  #pollNext: Promise<void> | null = null;
  /** Settles once this tab has read the chain for the first time (catch-up waits for it). */
  #firstPoll: Promise<void> = Promise.resolve();
  /**
   * Requesters whose escrow must be read at the next poll. Escrow only changes through
   * Settlement's events (Deposited, WithdrawalRequested, Withdrawn, ReceiptSettled), so a poll
   * reads just the requesters those events name, not every requester every time. The first poll
   * scans from the deployment, so every depositor's escrow (and a receipt is only ever accepted
   * from a requester with escrow) is known before its first receipt arrives.
   */
  readonly #escrowStale = new Set<string>();

  constructor(init: PaymentsInit) {
    super();
    this.#init = init;
    this.config = init.chain;
  }

  /** The operator address: the identity key's (claims, chain transactions, stake, escrow). */
  get address(): Address {
    return this.identity.address;
  }

  /** Where receipts for this tab's work pay: the linked wallet, else the identity address (lowercase, like `address`). */
  get payoutAddress(): Address {
    return this.identity.payoutAddress;
  }

  /** Addresses whose receipts this tab settles, lowercase: the identity's and the payout address. */
  #mine(): Set<string> {
    return new Set([this.address.toLowerCase(), this.identity.payoutAddress.toLowerCase()]);
  }

  /**
   * Links an EIP-1193 wallet as the payout address (`eth_requestAccounts`, then `personal_sign`
   * of the peer link; see LocalIdentity.connectWallet). Receipts for work after this pay the
   * wallet; receipts already paying the identity address are still settled by this tab. Fires
   * `payout` (TabmeshNode re-advertises its capability on it).
   */
  async connectWallet(provider: Eip1193Provider): Promise<PeerLink> {
    const link = await this.identity.connectWallet(provider, this.#init.mesh.peerId);
    this.#log(`payout address is now wallet ${link.address}`);
    this.#payoutChanged();
    return link;
  }

  /** Payout goes back to the identity address. Fires `payout`. */
  async disconnectWallet(): Promise<void> {
    await this.identity.disconnectWallet();
    this.#payoutChanged();
  }

  #payoutChanged(): void {
    this.dispatchEvent(new CustomEvent('payout', { detail: { payout: this.payoutAddress } }));
    this.dispatchEvent(new Event('change'));
    void this.poll();
  }

  get identity(): LocalIdentity {
    if (!this.#identity) throw new Error('Payments is not started');
    return this.#identity;
  }

  /** The identity's signed link to this tab's libp2p peer id (verify with src/ledger verifyPeerLink). */
  get peerLink(): PeerLink {
    if (!this.#peerLink) throw new Error('Payments is not started');
    return this.#peerLink;
  }

  get ledger(): Ledger {
    if (!this.#ledger) throw new Error('Payments is not started');
    return this.#ledger;
  }

  /** Typed contracts and clients acting as this tab (for the staking and governance views). */
  get chain(): ChainAccess {
    if (!this.#clients) throw new Error('Payments is not started');
    return this.#clients;
  }

  async start(): Promise<void> {
    if (this.#ledger) return;
    const profile = this.#init.profile ?? 'default';
    const suffix = profile === 'default' ? '' : `-${profile}`;
    const identity = await LocalIdentity.open(this.#init.identityStore ?? new IdbIdentityStore(`tabmesh-identity${suffix}`));
    this.#identity = identity;
    // The signed statement "this address is this peer", for anyone who must tie the two.
    this.#peerLink = identity.linkPeer(this.#init.mesh.peerId);
    const store = this.#init.store ?? (hasIndexedDb() ? new IdbReceiptStore({ dbName: `tabmesh-ledger${suffix}` }) : new MemoryReceiptStore());
    const a = this.config.addresses;
    const ledger = new Ledger({ store, domain: { chainId: BigInt(a.chainId), verifyingContract: a.settlement }, signer: identity });
    await ledger.start();
    this.#ledger = ledger;
    this.#clients = chainAccess(this.config, identity, this.#init.transport);
    ledger.on('balances', () => this.dispatchEvent(new Event('change')));
    let firstPollDone!: () => void;
    this.#firstPoll = new Promise<void>((r) => (firstPollDone = r));
    this.#wireMesh(ledger);
    if (this.config.faucet) await this.#faucet();
    await this.poll();
    firstPollDone();
    // Peers linked before payments started never fired peer:connect here: catch up from them too.
    for (const id of this.#init.mesh.directPeers?.() ?? []) void this.catchUp(id);
    const poll = this.#init.pollMs ?? 2_000;
    this.#timers.push(setInterval(() => void this.poll(), poll));
    const settleEvery = this.#init.settleEveryMs ?? Number(a.profile.epochSeconds) * 1000;
    if (settleEvery > 0) this.#timers.push(setInterval(() => void this.settleNow().catch((e: Error) => this.#log(`settlement failed: ${e.message}`)), settleEvery));
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#settling?.catch(() => undefined);
    await this.#ledger?.stop();
    this.#ledger = null;
    this.#clients = null;
  }

  #log(line: string): void {
    this.#init.log?.(`payments: ${line}`);
  }

  // ------------------------------------------------------------------ mesh wiring

  #wireMesh(ledger: Ledger): void {
    const mesh = this.#init.mesh;
    const server = new SyncServer(ledger);
    mesh.handle('ledger-sync', async (msg) => ({ data: await server.handle(msg.data) }));
    // A receipt for this tab: stored (or refused with the ledger's reason) before the ack.
    mesh.handle('receipt', async (msg) => {
      try {
        const receipt = decodeReceiptMessage(msg.data);
        const r = await this.#withFreshEscrow(() => ledger.accept(receipt));
        return { accepted: true, reason: r.status };
      } catch (e) {
        return { accepted: false, reason: `${(e as Error).name}: ${(e as Error).message}`.slice(0, 256) };
      }
    });
    this.#gossip = new ReceiptGossip(ledger, (bytes) => mesh.publish('receipts', { type: 'receipt', msg: { data: bytes } }));
    const gossip = this.#gossip;
    this.#unsubscribe = mesh.subscribe('receipts', (m, from) => {
      this.#withFreshEscrow(() => gossip.receive(m.msg.data)).catch((e: Error) => this.#log(`gossiped receipt from ${from.slice(-6)} refused: ${e.name}: ${e.message}`));
    });
    mesh.on('peer:connect', (p) => void this.catchUp(p.id));
  }

  /**
   * Runs `accept`; when the ledger refused for escrow, reads the chain (the requester may have
   * deposited after this tab's last read) and judges once more.
   */
  async #withFreshEscrow<T>(accept: () => Promise<T>): Promise<T> {
    try {
      return await accept();
    } catch (e) {
      if ((e as Error).name !== 'EscrowExceededError') throw e;
      await this.poll();
      return accept();
    }
  }

  /**
   * Pulls what `peer`'s ledger has and this one lacks (the late-joiner path; gossip does the rest).
   * A receipt can only be judged against its requester's escrow, so the pull waits for this tab's
   * first chain read, and when receipts were refused for escrow it reads the chain again (a deposit
   * may be newer than the read) and pulls once more.
   */
  async catchUp(peer: string): Promise<number> {
    const ledger = this.#ledger;
    if (!ledger) return 0;
    const pull = () => new SyncClient(ledger).catchUp(async (bytes) => (await this.#init.mesh.request(peer, 'ledger-sync', { data: bytes }, { timeoutMs: 15_000 })).data);
    try {
      await this.#firstPoll;
      let report = await pull();
      let stored = report.stored;
      if (report.refused['EscrowExceededError']) {
        await this.poll();
        report = await pull();
        stored += report.stored;
      }
      const refused = Object.keys(report.refused).length ? ` (refused: ${JSON.stringify(report.refused)})` : '';
      if (stored > 0 || refused) this.#log(`caught up ${stored} receipts from ${peer.slice(-6)}${refused}`);
      return stored;
    } catch (e) {
      this.#log(`catch-up from ${peer.slice(-6)} failed: ${(e as Error).message}`);
      return 0;
    }
  }

  // ------------------------------------------------------------------ funds, escrow, stake

  async #faucet(): Promise<void> {
    try {
      await this.chain.publicClient.request({ method: 'tabmesh_faucet' as never, params: [this.address] as never });
    } catch (e) {
      this.#log(`faucet: ${(e as Error).message}`);
    }
  }

  async #write(fn: () => Promise<Hex>, what: string): Promise<{ hash: Hex; gasUsed: bigint; logs: unknown[] }> {
    let hash: Hex;
    try {
      hash = await fn();
    } catch (e) {
      const r = decodeRevert(e, REVERT_ABI);
      throw r ?? new Error(`${what}: ${(e as Error).message.split('\n')[0]}`);
    }
    const receipt = await this.chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`${what}: transaction ${hash} reverted`);
    return { hash, gasUsed: receipt.gasUsed, logs: receipt.logs };
  }

  /** Escrow this tab holds as a requester (available: minus a requested withdrawal). */
  escrow(): Promise<bigint> {
    return this.#availableEscrow(this.address);
  }

  /** What receipts can still draw on `requester`'s escrow: its balance minus a requested withdrawal. */
  async #availableEscrow(requester: Address): Promise<bigint> {
    const [balance, pendingWithdrawal] = await this.chain.contracts.settlement.read.escrowOf([requester]);
    return balance > pendingWithdrawal ? balance - pendingWithdrawal : 0n;
  }

  /** Makes the escrow at least `amount` (deposits the difference). */
  async ensureEscrow(amount: bigint): Promise<bigint> {
    const have = await this.escrow();
    const owed = lookup((await this.ledger.balances()).requesters, this.address)?.owed ?? 0n;
    const need = amount + owed - have;
    if (need <= 0n) return have;
    const { token, settlement } = this.chain.contracts;
    const allowance = await token.read.allowance([this.address, settlement.address]);
    if (allowance < need) await this.#write(() => token.write.approve([settlement.address, need * 4n]), 'approve');
    await this.#write(() => settlement.write.deposit([need]), 'deposit');
    this.#log(`deposited ${need} wei into escrow`);
    await this.poll();
    return this.escrow();
  }

  /** Bonds the minimum stake for this tab's operator address if it lacks it. */
  async ensureStake(): Promise<bigint> {
    const stakingAddress = this.config.addresses.staking;
    if (!stakingAddress) return 0n;
    const { publicClient, walletClient, contracts } = this.chain;
    const bonded = (await publicClient.readContract({ address: stakingAddress, abi: stakingAbi, functionName: 'bonded', args: [this.address] })) as bigint;
    const min = (await contracts.params.read.minStake()) as bigint;
    if (bonded >= min) return bonded;
    const need = min - bonded;
    const allowance = await contracts.token.read.allowance([this.address, stakingAddress]);
    if (allowance < need) await this.#write(() => contracts.token.write.approve([stakingAddress, need]), 'approve');
    await this.#write(() => walletClient.writeContract({ address: stakingAddress, abi: stakingAbi, functionName: 'bond', args: [this.address, need] }), 'bond');
    // Voting power follows delegation (OpenZeppelin Votes): delegate to self once.
    await this.#write(() => walletClient.writeContract({ address: stakingAddress, abi: stakingAbi, functionName: 'delegate', args: [this.address] }), 'delegate').catch(() => undefined);
    this.#eligible.delete(this.address.toLowerCase());
    this.#log(`bonded ${need} wei of stake`);
    return min;
  }

  /** True when `address` has the minimum stake on-chain (cached for 5 s); true when there is no staking contract. */
  async isEligible(address: string): Promise<boolean> {
    const staking = this.config.addresses.staking;
    if (!staking) return true;
    const key = address.toLowerCase();
    const hit = this.#eligible.get(key);
    if (hit && Date.now() - hit.at < 5_000) return hit.ok;
    // The scheduler asks on every placement: one chain read per address at a time.
    let read = this.#eligibleReads.get(key);
    if (!read) {
      read = (this.chain.publicClient.readContract({ address: staking, abi: stakingAbi, functionName: 'isEligible', args: [getAddress(address)] }) as Promise<boolean>).finally(() => this.#eligibleReads.delete(key));
      this.#eligibleReads.set(key, read);
      const ok = await read;
      this.#eligible.set(key, { ok, at: Date.now() });
      // The scheduler filters synchronously on eligibleSeen(): tell it when an answer changes.
      if (hit?.ok !== ok) this.dispatchEvent(new CustomEvent('eligibility', { detail: { address: key, eligible: ok } }));
      return ok;
    }
    return read;
  }

  /** The last answer of isEligible without a chain read (the scheduler's synchronous filter). */
  eligibleSeen(address: string): boolean {
    if (!this.config.addresses.staking) return true;
    const hit = this.#eligible.get(address.toLowerCase());
    if (!hit || Date.now() - hit.at > 5_000) void this.isEligible(address).catch(() => undefined);
    return hit?.ok ?? false;
  }

  // ------------------------------------------------------------------ requester: receipts

  /**
   * Signs one cumulative receipt per credited worker for a finished job, stores it, delivers it
   * to the worker (which stores it before acknowledging) and gossips it to every tab.
   */
  async payWorkers(credits: { address: string; units: number; peer?: string }[], pricePerUnit: bigint): Promise<SignedReceipt[]> {
    const out: SignedReceipt[] = [];
    for (const c of credits) {
      if (c.units <= 0) continue;
      const r = await this.ledger.issue({ worker: getAddress(c.address), amount: BigInt(c.units) * pricePerUnit, work: BigInt(c.units) });
      out.push(r);
      const bytes = encodeReceiptMessage(r);
      if (c.peer) {
        await this.#init.mesh
          .request(c.peer, 'receipt', { data: bytes }, { timeoutMs: 10_000 })
          .then((ack) => {
            if (!ack.accepted) this.#log(`worker ${c.peer!.slice(-6)} refused its receipt: ${ack.reason}`);
          })
          .catch((e: Error) => this.#log(`receipt to ${c.peer!.slice(-6)} not delivered (${e.message}); gossip and sync will carry it`));
      }
      await this.#gossip?.publish(r).catch(() => undefined);
    }
    return out;
  }

  // ------------------------------------------------------------------ faults: slashing

  /**
   * Stores equivocation evidence (two valid claims for one unit with different outputs, signed by
   * one worker) in the ledger and reports it to the Staking contract, which verifies both
   * signatures and slashes the worker's stake (part to this tab as reporter, the rest burned).
   * Returns the slashed amounts per report (0 where the chain refused, e.g. already slashed).
   */
  async reportEquivocations(evidence: JobEquivocation[]): Promise<bigint[]> {
    const staking = this.config.addresses.staking;
    const rows = evidence
      .filter((e) => e.claims.length >= 2 && e.claims[0]!.outputHash !== e.claims[1]!.outputHash)
      .map((e) => ({
        worker: getAddress(e.signer),
        jobId: e.jobId,
        unitIndex: e.unitIndex,
        hashA: e.claims[0]!.outputHash,
        sigA: bytesToHex(e.claims[0]!.signature),
        hashB: e.claims[1]!.outputHash,
        sigB: bytesToHex(e.claims[1]!.signature),
      }));
    if (rows.length === 0) return [];
    await this.ledger.recordEvidence(rows).catch((e: Error) => this.#log(`evidence not stored: ${e.message}`));
    if (!staking) return rows.map(() => 0n);
    const out: bigint[] = [];
    for (const r of rows) {
      try {
        const { logs } = await this.#write(
          () =>
            this.chain.walletClient.writeContract({
              address: staking,
              abi: stakingAbi,
              functionName: 'reportEquivocation',
              args: [r.worker, `0x${r.jobId}` as Hex, r.unitIndex, `0x${r.hashA}` as Hex, r.sigA, `0x${r.hashB}` as Hex, r.sigB],
            }),
          'reportEquivocation',
        );
        const [ev] = parseEventLogs({ abi: stakingAbi, logs: logs as never, eventName: 'Slashed' });
        const amount = (ev?.args as { amount?: bigint } | undefined)?.amount ?? 0n;
        this.#log(`reported equivocation by ${r.worker} on unit ${r.unitIndex}: ${amount} wei slashed`);
        out.push(amount);
      } catch (e) {
        this.#log(`equivocation report refused: ${(e as Error).message}`);
        out.push(0n);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ worker: settlement

  /** Settles this tab's unsettled receipts, anchors ended epochs and claims emission. */
  settleNow(): Promise<SettleReport> {
    this.#settling ??= this.#settle().finally(() => (this.#settling = null));
    return this.#settling;
  }

  async #settle(): Promise<SettleReport> {
    const report: SettleReport = { receipts: 0, txHash: null, gasUsed: 0n, units: 0n, anchored: [], emission: 0n };
    const ledger = this.ledger;
    const me = this.#mine();
    const mine = (await ledger.settleable()).filter((r) => me.has(r.worker.toLowerCase())).slice(0, 100);
    const { settlement } = this.chain.contracts;
    if (mine.length > 0) {
      const receipts = mine.map((r) => ({ requester: r.requester, worker: r.worker, cumulativeAmount: r.cumulativeAmount, cumulativeWork: r.cumulativeWork }));
      const signatures = mine.map((r) => r.signature as Hex);
      try {
        const { hash, gasUsed } = await this.#write(() => settlement.write.settleBatch([receipts, signatures]), 'settleBatch');
        await ledger.markSubmitted(hash, mine);
        report.receipts = mine.length;
        report.txHash = hash;
        report.gasUsed = gasUsed;
        report.units = mine.reduce((s, r) => s + r.cumulativeWork, 0n);
        this.#log(`settled ${mine.length} receipts in ${hash.slice(0, 10)} (${gasUsed} gas)`);
      } catch (e) {
        this.#log(`settleBatch refused: ${(e as Error).message}`);
      }
    }
    report.anchored = await this.anchorEnded();
    report.emission = await this.#claimEmission();
    await this.poll();
    return report;
  }

  /** Anchors every ended epoch not anchored yet (anyone may; strictly in order). */
  async anchorEnded(max = 64): Promise<number[]> {
    const { settlement } = this.chain.contracts;
    const done: number[] = [];
    const current = await settlement.read.currentEpoch();
    let next = await settlement.read.nextAnchorEpoch();
    while (next < current && done.length < max) {
      const e = next;
      try {
        await this.#write(() => settlement.write.anchor([e]), 'anchor');
        done.push(Number(e));
      } catch (err) {
        // Another tab anchored it first: move on from what the chain says.
        this.#log(`anchor(${e}): ${(err as Error).message}`);
      }
      next = await settlement.read.nextAnchorEpoch();
      if (next === e) break;
    }
    return done;
  }

  /** `epoch:worker` (worker lowercase) for every epoch one of this tab's addresses had work settled in. */
  readonly #workEpochs = new Set<string>();

  /**
   * Claims the emission of every ended epoch this tab's addresses had work in, with
   * `claimEmissionFor(epoch, worker)`: the operator pays the gas, the payout address is minted to.
   */
  async #claimEmission(): Promise<bigint> {
    const { settlement } = this.chain.contracts;
    const current = await settlement.read.currentEpoch();
    let total = 0n;
    const pending = [...this.#workEpochs].map((k) => {
      const [e, w] = k.split(':') as [string, string];
      return { key: k, epoch: BigInt(e), worker: getAddress(w) };
    });
    pending.sort((a, b) => (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0));
    for (const { key, epoch: e, worker } of pending) {
      if (e >= current) continue;
      const [work, , claimed] = await settlement.read.workerEpoch([e, worker]);
      if (claimed || work === 0n) {
        this.#workEpochs.delete(key);
        continue;
      }
      try {
        const { logs } = await this.#write(() => settlement.write.claimEmissionFor([e, worker]), 'claimEmissionFor');
        for (const ev of parseEventLogs({ abi: settlementAbi, logs: logs as never, eventName: 'EmissionClaimed' })) total += ev.args.reward;
        this.#workEpochs.delete(key);
      } catch (err) {
        this.#log(`claimEmissionFor(${e}, ${worker}): ${(err as Error).message}`);
      }
    }
    this.#emissionClaimed += total;
    return total;
  }

  // ------------------------------------------------------------------ chain → ledger

  /** Reads escrows, settled pairs, batches and anchors from the chain into the ledger. */
  poll(): Promise<void> {
    // A caller that just wrote to the chain needs a read that starts after its write: a poll
    // already running may have read before it, so queue (at most) one more behind it.
    if (this.#pollNext) return this.#pollNext;
    if (!this.#polling) {
      this.#polling = this.#poll().finally(() => (this.#polling = null));
      return this.#polling;
    }
    this.#pollNext = this.#polling.then(() => {
      this.#pollNext = null;
      return this.poll();
    });
    return this.#pollNext;
  }

  async #poll(): Promise<void> {
    if (!this.#ledger || !this.#clients) return;
    try {
      const ledger = this.#ledger;
      const { publicClient, contracts } = this.#clients;
      // cacheTime 0: viem caches the block number for a polling interval, and a caller that just wrote needs the new head.
      const head = await publicClient.getBlockNumber({ cacheTime: 0 });
      const from = this.#scannedTo === 0n ? BigInt(this.config.addresses.deployBlock) : this.#scannedTo + 1n;
      const batches: BatchRecord[] = [];
      const anchors: { epoch: number; root: Hex }[] = [];
      // Settled cumulatives come from the events (scanned from the deployment on): a late tab knows
      // every pair's settled amount before any receipt of that pair reaches it.
      const settledPairs: { requester: Address; worker: Address; amount: bigint; work: bigint }[] = [];
      const me = this.#mine();
      if (from <= head) {
        const logs = await publicClient.getLogs({ address: this.config.addresses.settlement, fromBlock: from, toBlock: head });
        const events = parseEventLogs({ abi: settlementAbi, logs });
        for (const ev of events) {
          if (ev.eventName === 'ReceiptSettled') {
            settledPairs.push({ requester: ev.args.requester, worker: ev.args.worker, amount: ev.args.cumulativeAmount, work: ev.args.cumulativeWork });
            const list = this.#leaves.get(ev.transactionHash) ?? [];
            list.push(ev.args.digest);
            this.#leaves.set(ev.transactionHash, list);
          } else if (ev.eventName === 'BatchSettled') {
            const leaves = this.#leaves.get(ev.transactionHash) ?? [];
            this.#leaves.delete(ev.transactionHash);
            batches.push({ epoch: Number(ev.args.epoch), batchIndex: Number(ev.args.batchIndex), root: ev.args.root, txHash: ev.transactionHash, leaves });
          } else if (ev.eventName === 'EpochAnchored') {
            anchors.push({ epoch: Number(ev.args.epoch), root: ev.args.root });
          }
          if (ev.eventName === 'Deposited' || ev.eventName === 'WithdrawalRequested' || ev.eventName === 'Withdrawn' || ev.eventName === 'ReceiptSettled') {
            this.#escrowStale.add(ev.args.requester.toLowerCase());
          }
        }
        for (const ev of events) if (ev.eventName === 'ReceiptSettled' && me.has(ev.args.worker.toLowerCase())) {
          const b = batches.find((x) => x.txHash === ev.transactionHash);
          if (b) this.#workEpochs.add(`${b.epoch}:${ev.args.worker.toLowerCase()}`);
        }
        this.#scannedTo = head;
      }
      const requesters = [...this.#escrowStale] as Address[];
      this.#escrowStale.clear();
      try {
        const escrows = await Promise.all(requesters.map(async (r) => ({ requester: r, amount: await this.#availableEscrow(r) })));
        await ledger.applyChainState({ blockNumber: head, escrows, settled: settledPairs, batches, anchors });
      } catch (e) {
        // Nothing was lost: read these again next time.
        for (const r of requesters) this.#escrowStale.add(r);
        throw e;
      }
    } catch (e) {
      this.#log(`chain poll failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  // ------------------------------------------------------------------ what the page shows

  async summary(): Promise<PaymentsSummary> {
    const ledger = this.ledger;
    const payout = this.payoutAddress;
    const me = payout.toLowerCase();
    const balances: Balances = await ledger.balances();
    const w = lookup(balances.workers, payout) ?? { pending: 0n, settled: 0n };
    const records = await ledger.settlements();
    // Cumulative amounts: per requester the highest anchored receipt counts, summed over requesters.
    const anchoredByRequester = new Map<string, bigint>();
    for (const r of records) {
      if (r.status !== 'anchored' || r.worker?.toLowerCase() !== me) continue;
      const k = r.requester.toLowerCase();
      if ((anchoredByRequester.get(k) ?? 0n) < r.cumulativeAmount) anchoredByRequester.set(k, r.cumulativeAmount);
    }
    let anchoredAmount = 0n;
    for (const v of anchoredByRequester.values()) anchoredAmount += v;
    const { contracts, publicClient } = this.chain;
    const staking = this.config.addresses.staking;
    const [tokenBalance, escrow, bonded] = await Promise.all([
      contracts.token.read.balanceOf([payout]),
      this.escrow(),
      staking ? (publicClient.readContract({ address: staking, abi: stakingAbi, functionName: 'bonded', args: [this.address] }) as Promise<bigint>) : Promise.resolve(0n),
    ]);
    return {
      address: this.address,
      payout,
      pending: w.pending,
      settled: w.settled,
      anchored: anchoredAmount,
      tokenBalance,
      escrow,
      bonded,
      emissionClaimed: this.#emissionClaimed,
      receipts: (await ledger.receipts()).length,
    };
  }
}

