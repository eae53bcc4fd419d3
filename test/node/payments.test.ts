/**
 * Payments end to end on the real EVM: a requester tab and two worker tabs (each with its own
 * identity and ledger), connected by an in-process stand-in for the mesh's request/gossip surface
 * (the real mesh carries the same bytes in the browser tests and the demo). Checks escrow,
 * stake-gated eligibility, receipt delivery, settlement, on-chain balances equal to the ledgers,
 * anchoring with an inclusion proof the contract accepts, emission, and refusal of a forged receipt;
 * and, with a wallet linked as payout address, that receipts, settlement and emission pay the
 * wallet while stake and claims stay the operator's (the identity key).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesToHex, custom, hexToBytes, parseEther, type Hex } from 'viem';
import { startLocalChain, type LocalChain } from '../../src/chain/local.ts';
import { withDevFaucet } from '../../src/chain/faucet.ts';
import { devAccount } from '../../src/chain/dev-accounts.ts';
import type { ChainConfig } from '../../src/chain/config.ts';
import { verifyPeerLink, MemoryIdentityStore, MemoryReceiptStore, encodeReceiptMessage, signReceipt, receiptDomain } from '../../src/ledger/index.ts';
import type { MeshNode } from '../../src/mesh/index.ts';
import { MAX_LEDGER_SYNC_REQUEST_BYTES, MAX_LEDGER_SYNC_RESPONSE_BYTES, MAX_RECEIPT_BYTES } from '../../src/mesh/messages.ts';
import { MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, RECEIPT_MESSAGE_BYTES } from '../../src/ledger/sync-messages.ts';
import { Payments } from '../../src/node/payments.ts';
import { ClaimKey } from '../../src/jobs/claim.ts';
import { stakingAbi } from '../../src/chain/artifacts.ts';
import { privateKeyToAccount } from 'viem/accounts';
import { JobRun } from '../../src/jobs/job-run.ts';
import { receiptCredits, workerOffers } from '../../src/node/offers.ts';
import { sha256Hex } from '../../src/mesh/blobs.ts';
import type { MeshPeer } from '../../src/mesh/index.ts';
import type { MessageOf } from '../../src/mesh/messages.ts';

type Handler = (msg: unknown, peer: string, ctx: unknown) => unknown;

/** The parts of MeshNode that Payments uses, routed between in-process tabs. */
class LoopMesh {
  static all = new Map<string, LoopMesh>();
  readonly handlers = new Map<string, Handler>();
  readonly subs = new Map<string, Set<(m: unknown, from: string) => void>>();
  readonly listeners = new Map<string, ((p: { id: string }) => void)[]>();
  constructor(readonly id: string) {
    LoopMesh.all.set(id, this);
  }
  get peerId() {
    return this.id;
  }
  handle(name: string, h: Handler) {
    this.handlers.set(name, h);
  }
  on(ev: string, fn: (p: { id: string }) => void) {
    this.listeners.set(ev, [...(this.listeners.get(ev) ?? []), fn]);
    return () => undefined;
  }
  subscribe(topic: string, fn: (m: unknown, from: string) => void) {
    const set = this.subs.get(topic) ?? new Set();
    set.add(fn);
    this.subs.set(topic, set);
    return () => set.delete(fn);
  }
  async publish(topic: string, m: unknown) {
    let n = 0;
    for (const other of LoopMesh.all.values()) {
      if (other === this) continue;
      for (const fn of other.subs.get(topic) ?? []) (fn(m, this.id), n++);
    }
    return n;
  }
  async request(peer: string, name: string, msg: unknown) {
    const h = LoopMesh.all.get(peer)?.handlers.get(name);
    if (!h) throw new Error(`${peer} does not handle ${name}`);
    return h(msg, this.id, {});
  }
  connect(peer: string) {
    for (const fn of this.listeners.get('peer:connect') ?? []) fn({ id: peer });
  }
}

let chain: LocalChain;
let config: ChainConfig;
let provider: ReturnType<typeof withDevFaucet>;
const tabs: Payments[] = [];

function tab(id: string): Payments {
  const p = new Payments({
    chain: config,
    mesh: new LoopMesh(id) as unknown as MeshNode,
    identityStore: new MemoryIdentityStore(),
    store: new MemoryReceiptStore(),
    transport: custom(provider),
    settleEveryMs: 0,
    pollMs: 60_000,
  });
  tabs.push(p);
  return p;
}

/** Moves the chain `seconds` past its head (one block per transaction runs the head ahead of the wall clock). */
async function increaseTime(seconds: number): Promise<void> {
  const head = (await provider.request({ method: 'eth_getBlockByNumber' as never, params: ['latest', false] as never })) as { timestamp: string };
  await provider.request({ method: 'evm_mine' as never, params: [`0x${(Number(BigInt(head.timestamp)) + seconds).toString(16)}`] as never });
}

beforeAll(async () => {
  chain = await startLocalChain({ dataDir: null, demoAccounts: 2 });
  provider = withDevFaucet(chain.provider, { token: chain.addresses.token, faucet: devAccount(0) });
  config = { rpcUrl: 'http://127.0.0.1:1', chainId: chain.addresses.chainId, addresses: chain.addresses, faucet: true };
});

afterAll(async () => {
  for (const t of tabs) await t.stop();
});

describe('ledger payloads on the mesh', () => {
  it('the ledger codec’s largest messages fit the mesh’s byte limits', () => {
    expect(RECEIPT_MESSAGE_BYTES).toBeLessThanOrEqual(MAX_RECEIPT_BYTES);
    expect(MAX_SYNC_REQUEST_BYTES).toBeLessThanOrEqual(MAX_LEDGER_SYNC_REQUEST_BYTES);
    expect(MAX_SYNC_RESPONSE_BYTES).toBeLessThanOrEqual(MAX_LEDGER_SYNC_RESPONSE_BYTES);
  });
});

describe('receiptCredits', () => {
  it('pays credited workers at their payout address; a worker a spot check caught forfeits the job', () => {
    const credits = receiptCredits({
      credits: { honest: 4, caught: 3, unseen: 2 },
      perWorker: {
        honest: { assigned: 4, accepted: 4, rejected: 0, payout: '0xaa' },
        caught: { assigned: 4, accepted: 3, rejected: 1, spotCheckFailed: 1, payout: '0xbb' },
        outvoted: { assigned: 2, accepted: 0, rejected: 2, payout: '0xcc' },
        unseen: { assigned: 2, accepted: 2, rejected: 0 },
      },
    });
    expect(credits).toEqual([{ peer: 'honest', units: 4, address: '0xaa' }]);
  });
});

describe('Payments on the real EVM', () => {
  it('pays verified work: escrow, stake, receipts, settlement, anchoring, emission; ledgers equal the chain', async () => {
    const requester = tab('req');
    const w1 = tab('w1');
    const w2 = tab('w2');
    for (const t of [requester, w1, w2]) await t.start();
    expect(new Set([requester.address, w1.address, w2.address]).size).toBe(3);
    // Each tab's address is bound to its peer id by a signature anyone can check.
    expect((await verifyPeerLink(w1.peerLink, 'w1')).toLowerCase()).toBe(w1.address.toLowerCase());
    await expect(verifyPeerLink({ ...w1.peerLink, peerId: 'w2' })).rejects.toThrow();

    // Unstaked workers are not eligible; bonding the minimum makes them so.
    expect(await requester.isEligible(w1.address)).toBe(false);
    await w1.ensureStake();
    await w2.ensureStake();
    // The first answer was cached; w2 was never asked about before bonding, so this is a fresh read.
    expect(await requester.isEligible(w2.address)).toBe(true);
    expect(requester.eligibleSeen(w2.address)).toBe(true);

    const price = parseEther('0.01');
    await requester.ensureEscrow(price * 100n);
    expect(await requester.escrow()).toBeGreaterThanOrEqual(price * 100n);

    const [r1, r2] = await requester.payWorkers(
      [
        { address: w1.address, units: 30, peer: 'w1' },
        { address: w2.address, units: 10, peer: 'w2' },
      ],
      price,
    );
    expect(r1!.cumulativeAmount).toBe(price * 30n);
    // Delivered and stored by each worker before the ack; a second job accumulates on the same pair.
    expect((await w1.ledger.receipts()).filter((r) => r.worker === w1.address.toLowerCase() || r.worker === w1.address).length).toBe(1);
    // Gossip gives every tab both receipts.
    await vi.waitFor(async () => expect((await w2.ledger.receipts()).length).toBe(2), { timeout: 5_000 });
    const [r1b] = await requester.payWorkers([{ address: w1.address, units: 20, peer: 'w1' }], price);
    expect(r1b!.cumulativeAmount).toBe(price * 50n);
    expect((await w1.ledger.receipt(requester.address, w1.address))?.cumulativeAmount).toBe(price * 50n);
    expect(r2!.cumulativeWork).toBe(10n);

    const before = await w1.chain.contracts.token.read.balanceOf([w1.address]);
    const s1 = await w1.settleNow();
    expect(s1.receipts).toBe(1);
    await w2.settleNow();
    const after = await w1.chain.contracts.token.read.balanceOf([w1.address]);
    const [, , workerShare] = await w1.chain.contracts.settlement.read.splitFee([price * 50n]);
    expect(after - before).toBe(workerShare);

    // Every tab's ledger says what the chain says, per pair.
    for (const t of [requester, w1, w2]) await t.poll();
    for (const w of [w1, w2]) {
      const [onChain] = await w.chain.contracts.settlement.read.settled([requester.address, w.address]);
      const summary = await w.summary();
      expect(summary.settled).toBe(onChain);
      expect(summary.pending).toBe(0n);
    }
    // A settled receipt is not settled twice.
    expect((await w1.settleNow()).receipts).toBe(0);

    // Epoch ends → anchored → inclusion proof the contract accepts.
    await increaseTime(config.addresses.profile.epochSeconds + 1);
    const s2 = await w1.settleNow();
    expect(s2.anchored.length).toBeGreaterThan(0);
    await w1.poll();
    const proof = await w1.ledger.inclusionProof((await w1.ledger.receipt(requester.address, w1.address))!.digest as Hex);
    expect(proof).toBeDefined();
    expect(await w1.chain.contracts.settlement.read.verifyInclusion([BigInt(proof!.epoch), proof!.leaf, proof!.proof])).toBe(true);
    expect(s2.emission).toBeGreaterThan(0n);
    expect((await w1.summary()).anchored).toBe(price * 50n);
  });

  it('refuses a receipt signed by someone else or for another contract, keeping what it stored', async () => {
    const requester = tab('req2');
    const worker = tab('w3');
    await requester.start();
    await worker.start();
    await requester.ensureEscrow(parseEther('1'));
    await requester.payWorkers([{ address: worker.address, units: 5, peer: 'w3' }], parseEther('0.01'));
    const deliver = (r: Parameters<typeof encodeReceiptMessage>[0]) => LoopMesh.all.get('w3')!.handlers.get('receipt')!({ data: encodeReceiptMessage(r) }, 'req2', {}) as Promise<{ accepted: boolean; reason: string }>;
    const body = { requester: requester.address, worker: worker.address, cumulativeAmount: parseEther('0.5'), cumulativeWork: 50n };
    const domain = receiptDomain(BigInt(config.chainId), config.addresses.settlement);
    // Signed by mallory in the requester's name: refused, naming the signer.
    const forged = { ...body, ...domain, signature: bytesToHex(signReceipt(body, domain, hexToBytes(devAccount(2).privateKey))) };
    const ack = await deliver(forged as never);
    expect(ack.accepted).toBe(false);
    expect(ack.reason).toMatch(/signer|signature/i);
    // Signed by the requester's own key? Not available to the test: instead a receipt for another contract.
    const otherDomain = receiptDomain(BigInt(config.chainId), config.addresses.token);
    const wrongContract = { ...body, ...otherDomain, signature: bytesToHex(signReceipt(body, otherDomain, hexToBytes(devAccount(2).privateKey))) };
    const ack2 = await deliver(wrongContract as never);
    expect(ack2.accepted).toBe(false);
    expect(ack2.reason).toMatch(/contract|domain|verifyingContract/i);
    expect((await worker.ledger.receipt(requester.address, worker.address))?.cumulativeAmount).toBe(parseEther('0.05'));
  });

  it('reports equivocation evidence: the worker’s stake is slashed on-chain and the evidence stored', async () => {
    const reporter = tabs[0]!;
    const worker = tabs[1]!; // bonded in the first test
    const staking = config.addresses.staking!;
    const bondedBefore = (await reporter.chain.publicClient.readContract({ address: staking, abi: stakingAbi, functionName: 'bonded', args: [worker.address] })) as bigint;
    expect(bondedBefore).toBeGreaterThan(0n);
    // The worker's own identity signs two different outputs for one unit (what a lying tab would send).
    const key = ClaimKey.fromSigner(worker.identity);
    const jobId = 'ab'.repeat(32);
    const claims = ['11', '22'].map((b) => ({ outputHash: b.repeat(32), signature: key.sign({ jobId, unitIndex: 3, outputHash: b.repeat(32) }) }));
    const [slashed] = await reporter.reportEquivocations([{ jobId, unitIndex: 3, worker: 'peer', signer: worker.address, claims }]);
    expect(slashed).toBe(bondedBefore / 2n); // slashBps 5,000
    const bondedAfter = (await reporter.chain.publicClient.readContract({ address: staking, abi: stakingAbi, functionName: 'bonded', args: [worker.address] })) as bigint;
    expect(bondedAfter).toBe(bondedBefore - slashed!);
    expect((await reporter.ledger.evidence()).some((e) => e.unitIndex === 3 && e.jobId === jobId)).toBe(true);
    // The same evidence again: the contract refuses a second slash for the unit; nothing more is taken.
    expect(await reporter.reportEquivocations([{ jobId, unitIndex: 3, worker: 'peer', signer: worker.address, claims }])).toEqual([0n]);
    // Claims that agree are no evidence at all.
    expect(await reporter.reportEquivocations([{ jobId, unitIndex: 4, worker: 'peer', signer: worker.address, claims: [claims[0]!, claims[0]!] }])).toEqual([]);
  });

  it('a late tab catches up every receipt through the sync protocol', async () => {
    const late = tab('late');
    await late.start();
    const mesh = LoopMesh.all.get('late')!;
    mesh.connect('w1');
    await new Promise((r) => setTimeout(r, 200));
    const n = await late.catchUp('w1');
    const have = await late.ledger.receipts();
    const source = await tabs[1]!.ledger.receipts();
    expect(n + have.length).toBeGreaterThan(0);
    expect(have.map((r) => r.digest).sort()).toEqual(expect.arrayContaining(source.map((r) => r.digest)));
  });
});

describe('a wallet linked as payout address (operator and payout apart)', () => {
  it('receipts pay the wallet; stake and claims are the operator’s; settlement and emission credit the wallet on-chain', async () => {
    const wallet = privateKeyToAccount(`0x${'5a'.repeat(32)}`);
    // A minimal EIP-1193 wallet: one account, personal_sign of the raw peer-link preimage.
    const eip1193 = {
      async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
        if (method === 'eth_requestAccounts') return [wallet.address];
        if (method === 'personal_sign') return wallet.signMessage({ message: { raw: (params as [Hex])[0] } });
        throw new Error(`unsupported ${method}`);
      },
    };
    const requester = tab('reqW');
    const worker = tab('wW');
    await requester.start();
    await worker.start();
    const payoutEvents: string[] = [];
    worker.addEventListener('payout', (e) => payoutEvents.push((e as CustomEvent<{ payout: string }>).detail.payout));
    expect(worker.payoutAddress, 'before a wallet: the identity address').toBe(worker.address);
    const link = await worker.connectWallet(eip1193);
    expect(await verifyPeerLink(link, 'wW')).toBe(wallet.address.toLowerCase());
    const walletAddr = wallet.address.toLowerCase();
    expect(worker.payoutAddress).toBe(walletAddr);
    expect(worker.address).not.toBe(walletAddr);
    expect(payoutEvents, 'TabmeshNode re-advertises on this event').toEqual([walletAddr]);

    // The capability TabmeshNode advertises: operator = identity, payout = wallet (lowercase on the wire).
    const capability: MessageOf<'capability'> = { adapter: 't', gflops: 1, freeSlots: 2, priceFloor: 0n, payout: worker.payoutAddress.toLowerCase(), models: [], operator: worker.address.toLowerCase() };
    const peer: MeshPeer = { id: 'wW', direct: true, connected: true, directSince: 0, score: 0, offences: 0, lastOffence: null, capability, capabilityAt: 0, bannedUntil: null };
    // Stake is the operator's: bonded by the identity, read for the operator; the wallet has none.
    await worker.ensureStake();
    expect(await requester.isEligible(worker.address)).toBe(true);
    expect(await requester.isEligible(wallet.address)).toBe(false);
    const eligible = (operator: string) => requester.eligibleSeen(operator);
    expect(workerOffers([peer], eligible)).toEqual([{ peer: 'wW', operator: capability.operator, payout: capability.payout, slots: 2, priceFloor: 0n, gflops: 1 }]);
    expect(workerOffers([{ ...peer, capability: { ...capability, operator: capability.payout } }], eligible), 'an unstaked operator is not offered units').toEqual([]);

    // A job: the worker's results carry claims; one signed by the wallet (payout) key is refused, the operator's accepted.
    const operatorKey = ClaimKey.fromSigner(worker.identity);
    const walletKey = ClaimKey.fromSecret(hexToBytes(`0x${'5a'.repeat(32)}`));
    const acks: { signer: string; accepted: boolean; reason: string }[] = [];
    const CLASSES = 4;
    let run!: JobRun;
    const answer = async (msg: MessageOf<'unit-assign'>) => {
      const logits = new Float32Array(msg.batch * CLASSES).map((_, i) => (i % CLASSES === 0 ? 5 : 0));
      const output = new Uint8Array(logits.buffer);
      const outputHash = await sha256Hex(output);
      for (const key of [walletKey, operatorKey]) {
        const ack = run.onResult('wW', { jobId: msg.jobId, unitIndex: msg.unitIndex, output, outputHash, claim: key.sign({ jobId: msg.jobId, unitIndex: msg.unitIndex, outputHash }) }, outputHash);
        acks.push({ signer: key.address, ...ack });
      }
    };
    const price = parseEther('0.01');
    run = new JobRun({
      jobId: '7e'.repeat(32),
      spec: { inputs: new Float32Array(10 * 3), samples: 10, unitSize: 5, replication: 1, pricePerUnit: price, spotCheck: 0, deadlineMs: 20_000 },
      model: { modelId: 'cd'.repeat(32), classes: CLASSES, sampleSize: 3, task: 'classify' },
      transport: {
        offers: () => workerOffers([peer], eligible),
        assign: async (_peer, msg) => {
          setTimeout(() => void answer(msg), 1);
          return { accepted: true, reason: '' };
        },
        cancel: async () => undefined,
        announce: async () => undefined,
      },
      self: 'reqW',
    });
    run.start();
    const result = await run.result;
    expect(acks.filter((a) => a.signer === walletKey.address).length, 'one wallet-signed result per unit').toBe(2);
    expect(acks.filter((a) => a.signer === walletKey.address).every((a) => !a.accepted && /not the operator address/.test(a.reason)), JSON.stringify(acks)).toBe(true);
    expect(acks.filter((a) => a.signer === operatorKey.address).every((a) => a.accepted)).toBe(true);
    expect(result.credits['wW']).toBe(2);
    expect(result.perWorker['wW']).toMatchObject({ operator: worker.address.toLowerCase(), payout: wallet.address.toLowerCase() });

    // The requester's receipt pays the wallet; the worker's tab stores it before the ack.
    await requester.ensureEscrow(price * 10n);
    const credits = receiptCredits(result);
    expect(credits).toEqual([{ peer: 'wW', units: 2, address: wallet.address.toLowerCase() }]);
    const [receipt] = await requester.payWorkers(credits, price);
    expect(receipt!.worker).toBe(walletAddr);
    expect(receipt!.cumulativeAmount).toBe(price * 2n);
    expect((await worker.ledger.receipt(requester.address, wallet.address))?.cumulativeAmount).toBe(price * 2n);
    expect(await worker.ledger.receipt(requester.address, worker.address)).toBeUndefined();
    expect((await worker.summary()).pending).toBe(price * 2n);

    // The operator's tab settles it (paying the gas); the contract credits the wallet.
    const { token, settlement } = worker.chain.contracts;
    const [walletBefore, operatorBefore] = await Promise.all([token.read.balanceOf([wallet.address]), token.read.balanceOf([worker.address])]);
    const s1 = await worker.settleNow();
    expect(s1.receipts).toBe(1);
    expect((await settlement.read.settled([requester.address, wallet.address]))[0]).toBe(price * 2n);
    expect((await settlement.read.settled([requester.address, worker.address]))[0]).toBe(0n);
    const [, , workerShare] = await settlement.read.splitFee([price * 2n]);
    expect(await token.read.balanceOf([wallet.address])).toBe(walletBefore + workerShare);
    expect(await token.read.balanceOf([worker.address]), 'nothing paid to the operator').toBe(operatorBefore);
    const summary = await worker.summary();
    expect(summary).toMatchObject({ address: worker.address, payout: walletAddr, settled: price * 2n, pending: 0n, tokenBalance: walletBefore + workerShare });
    expect(summary.bonded, 'stake stays the operator’s').toBeGreaterThan(0n);

    // The epoch ends: emission is claimed for the wallet (claimEmissionFor, gas from the operator).
    await increaseTime(config.addresses.profile.epochSeconds + 1);
    const s2 = await worker.settleNow();
    expect(s2.emission).toBeGreaterThan(0n);
    expect(await token.read.balanceOf([wallet.address])).toBe(walletBefore + workerShare + s2.emission);
    expect(await token.read.balanceOf([worker.address])).toBe(operatorBefore);

    // Disconnecting: payout goes back to the identity address, and the event fires again.
    await worker.disconnectWallet();
    expect(worker.payoutAddress).toBe(worker.address);
    expect(payoutEvents).toEqual([walletAddr, worker.address]);
  });
});
