/**
 * Payments end to end on the real EVM: a requester tab and two worker tabs (each with its own
 * identity and ledger), connected by an in-process stand-in for the mesh's request/gossip surface
 * (the real mesh carries the same bytes in the browser tests and the demo). Checks escrow,
 * stake-gated eligibility, receipt delivery, settlement, on-chain balances equal to the ledgers,
 * anchoring with an inclusion proof the contract accepts, emission, and refusal of a forged receipt.
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
