/**
 * Payments end to end: real Chromium tabs linked by real WebRTC, each with its own persistent
 * identity and IndexedDB ledger, paid on the demo's local chain (a real EVM behind JSON-RPC,
 * scripts/demo-chain.ts) that this test also reads directly with viem.
 *
 * Run: `scripts/loopback-netns.sh npx vitest run --project browser test/browser/payments.test.ts`
 *
 * Tab 0 requests, tabs 1 and 2 contribute; one sequence:
 * a. a 150-digit job (3 units, r = 2) completes; the requester signs one cumulative receipt per
 *    credited worker; each worker's IndexedDB held its receipt when it acknowledged it;
 * b. tab 2 is reloaded (node held back) after its ack: its IndexedDB still has the receipt, the
 *    restarted tab has the same address, its ledger the receipt, and it settles it on-chain;
 * c. a tab opened after the job catches the receipts up by the sync protocol, never having seen
 *    their gossip, and its balances equal the others';
 * d. tab 1 settles; the chain moves past the epoch; the workers anchor and claim emission; on-chain
 *    settled per worker equals ledger earned per worker in every tab; an inclusion proof from a
 *    worker's ledger verifies on-chain; each contributor is bonded at least minStake;
 * e. forged receipts sent to a worker over the mesh 'receipt' protocol (foreign signer, tampered
 *    amount, high-s twin) are refused, naming the signature, and its stored receipts do not change.
 */
import '../../scripts/node-polyfills.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { getAddress, parseEventLogs, type Address, type Hex } from 'viem';
import { Relay } from '../../scripts/relay.ts';
import { startDemoChain, type DemoChain } from '../../scripts/demo-chain.ts';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';
import { makeWaitFor } from '../support/wait-for.ts';
import { networkContracts } from '../../src/chain/clients.ts';
import { settlementAbi, stakingAbi } from '../../src/chain/artifacts.ts';

type Summary = { peerId: string; direct: string[]; peers: { id: string; direct: boolean; capability: { freeSlots: number } | null }[]; errors: string[] };
type Receipt = { requester: string; worker: string; cumulativeAmount: string; cumulativeWork: string; chainId: string; verifyingContract: string; signature: string; digest?: string };
type PaymentsSummary = { address: string; pending: string; settled: string; anchored: string; bonded: string; receipts: number };
type WorkerBalance = { earned: string; settled: string; pending: string; work: string };
type Balances = { workers: Record<string, WorkerBalance> };
type Ack = { requester: string; worker: string; cumulativeAmount: string; accepted: boolean; reason: string; inIdbAtAck: boolean };
type Outcome = { ok: true; wallMs: number; result: { credits: Record<string, number>; perWorker: Record<string, { operator?: string; payout?: string; accepted: number }>; lostUnits: number; unitsVerified?: number } } | { ok: false; error: { name: string; message: string } };
type Settle = { receipts: number; txHash: string | null; gasUsed: string; units: string; anchored: number[]; emission: string };
type Proof = { digest: Hex; proof: { leaf: Hex; epoch: number; epochRoot: Hex; proof: Hex[] } | undefined } | null;

const SAMPLES = 150;
const UNIT = 50;
const R = 2;

let d: DemoChain;
let app: ServedApp;
let relay: Relay;
let browser: LaunchedBrowser;
let base = '';
const tabs: { page: Page; id: string; query: string; address: Address }[] = [];
const figures: Record<string, unknown> = {};
const t0 = Date.now();
const lap = (name: string) => (figures[`${name}Ms`] = Date.now() - t0);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = <T>(i: number, fn: string, ...args: unknown[]): Promise<T> => tabs[i]!.page.evaluate(([f, a]) => (globalThis as any).jobsHarness[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const logsOf = (i: number) => tabs[i]!.page.evaluate(() => (globalThis as any).jobsHarness.H.logs as string[]);
const summary = (i: number) => call<Summary>(i, 'summary');
const payments = (i: number) => call<PaymentsSummary>(i, 'payments');
const balances = (i: number) => call<Balances>(i, 'ledgerBalances');
const stored = (i: number) => call<Receipt[]>(i, 'storedReceipts');
const waitFor = makeWaitFor(() => browser.logs, { stateChars: 6000, logLines: 40 });
const lower = (a: string) => a.toLowerCase();
const workerOf = (b: Balances, a: string) => b.workers[lower(a)] ?? b.workers[getAddress(a)];

/** Opens a tab on the jobs harness with payments on; resolves once its node (and contributing) started. */
async function openTab(query: string): Promise<number> {
  const page = await browser.newPage();
  await page.goto(base + query);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const s = (await page.evaluate(() => (globalThis as any).jobsReady)) as Summary;
  tabs.push({ page, id: s.peerId, query, address: '0x' as Address });
  const i = tabs.length - 1;
  tabs[i]!.address = getAddress((await payments(i)).address);
  return i;
}

const chainReads = () => {
  const { publicClient } = d.clients();
  return { publicClient, c: networkContracts(d.config.addresses, { public: publicClient }) };
};

beforeAll(async () => {
  d = await startDemoChain();
  app = await serveApp();
  relay = new Relay({ port: 0 });
  await relay.start();
  browser = await launchChromium({ webrtc: true });
  base = `${app.url}test/browser/harness/jobs.html?relay=${encodeURIComponent(relay.multiaddr)}&chain=${encodeURIComponent(JSON.stringify(d.config))}`;
  await openTab('&role=requester&identity=p-req');
  await openTab('&role=contributor&identity=p-w1');
  await openTab('&role=contributor&identity=p-w2');
  lap('tabsOpen');
});

afterAll(async () => {
  figures.totalMs = Date.now() - t0;
  console.log('payments figures', JSON.stringify(figures));
  await browser?.close();
  await relay?.stop();
  await app?.close();
  await d?.close();
});

let receipts: Receipt[] = [];
let requester: Address;

describe('payments over real tabs, a real mesh and a real EVM', () => {
  it('a. a job pays one receipt per credited worker, each in the worker’s IndexedDB when it acks', async () => {
    requester = tabs[0]!.address;
    await waitFor(
      'the requester to link directly to both contributors and see their capability',
      60_000,
      async () => {
        const s = await summary(0);
        return [1, 2].every((w) => s.peers.some((p) => p.id === tabs[w]!.id && p.direct && (p.capability?.freeSlots ?? 0) > 0));
      },
      () => summary(0),
    );
    lap('meshReady');
    await call(0, 'submit', SAMPLES, R, UNIT);
    const o = await call<Outcome>(0, 'result', { withProbs: false });
    expect(o.ok, `job failed: ${JSON.stringify(!o.ok && o.error)}`).toBe(true);
    if (!o.ok) return;
    expect(o.result.lostUnits).toBe(0);
    lap('jobDone');
    receipts = await call<Receipt[]>(0, 'paid');
    const credited = Object.entries(o.result.credits).filter(([, u]) => u > 0);
    expect(receipts.length, 'receipts signed = credited workers').toBe(credited.length);
    expect(credited.length, 'both contributors credited (r = 2, 2 contributors)').toBe(2);
    const byWorker = new Map(receipts.map((r) => [lower(r.worker), r]));
    const price = BigInt(receipts[0]!.cumulativeAmount) / BigInt(receipts[0]!.cumulativeWork);
    expect(price > 0n, 'price per unit > 0').toBe(true);
    for (const [peer, units] of credited) {
      const w = [1, 2].find((i) => tabs[i]!.id === peer)!;
      expect(w, `credited peer ${peer} is one of the contributors`).toBeDefined();
      const r = byWorker.get(lower(tabs[w]!.address));
      expect(r, `receipt for tab ${w}`).toBeDefined();
      expect(lower(r!.requester), 'receipt requester').toBe(lower(requester));
      expect(BigInt(r!.cumulativeWork), `tab ${w} receipt work = its credited units`).toBe(BigInt(units));
      expect(BigInt(r!.cumulativeAmount), `tab ${w} receipt amount = units × price`).toBe(BigInt(units) * price);
      expect(BigInt(r!.chainId)).toBe(BigInt(d.config.chainId));
      expect(lower(r!.verifyingContract)).toBe(lower(d.config.addresses.settlement));
    }
    // Each worker answered the requester's 'receipt' request once for its own receipt, accepted,
    // with the receipt already in its IndexedDB (read through a second connection) at that moment.
    for (const w of [1, 2]) {
      const mine = byWorker.get(lower(tabs[w]!.address))!;
      const acks = (await call<Ack[]>(w, 'receiptAcks')).filter((a) => lower(a.worker) === lower(tabs[w]!.address));
      expect(acks.map((a) => ({ accepted: a.accepted, inIdbAtAck: a.inIdbAtAck, amount: a.cumulativeAmount })), `tab ${w}: acks of its receipt`).toEqual([{ accepted: true, inIdbAtAck: true, amount: mine.cumulativeAmount }]);
      const raw = await call<Receipt[]>(w, 'rawLedgerReceipts');
      expect(raw.some((x) => x.signature === mine.signature), `tab ${w}: its receipt in IndexedDB`).toBe(true);
      const b = workerOf(await balances(w), tabs[w]!.address);
      expect(b?.pending, `tab ${w}: pending = its receipt`).toBe(mine.cumulativeAmount);
    }
    expect((await logsOf(0)).filter((l) => /refused its receipt|not delivered/.test(l)), 'requester: delivery problems').toEqual([]);
    figures.receipts = receipts.map((r) => ({ worker: r.worker.slice(-6), amount: r.cumulativeAmount, work: r.cumulativeWork }));
  });

  it('b. a worker tab reloaded after its ack keeps the receipt (IndexedDB) and its address, and settles it', async () => {
    const w = 2;
    const before = tabs[w]!;
    const mine = receipts.find((r) => lower(r.worker) === lower(before.address))!;
    // Reload the tab with its node held back (autostart=0): what is there comes from IndexedDB alone.
    await before.page.goto(base + before.query + '&autostart=0');
    const raw = await call<Receipt[] | null>(w, 'rawLedgerReceipts');
    expect(raw, 'the ledger database survived the reload').not.toBeNull();
    expect(raw!.filter((x) => x.signature === mine.signature).length, 'its receipt in IndexedDB before the node starts').toBe(1);
    const s = await call<Summary>(w, 'ready');
    tabs[w]!.id = s.peerId;
    const p = await payments(w);
    expect(getAddress(p.address), 'same address after the reload (identity persisted)').toBe(before.address);
    const held = await stored(w);
    expect(held.some((x) => x.signature === mine.signature), 'the restarted ledger holds the receipt').toBe(true);
    expect(p.pending, 'pending after the reload').toBe(mine.cumulativeAmount);
    expect(await call<number>(w, 'gossipReceiptsSeen'), 'gossip seen since the reload').toBe(0);
    const settle = await call<Settle>(w, 'settleNow');
    expect(settle.receipts, 'receipts settled by the reloaded tab').toBe(1);
    expect(settle.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const { c } = chainReads();
    const [amount, work] = await c.settlement.read.settled([requester, before.address]);
    expect(amount.toString(), 'on-chain settled amount for the reloaded worker').toBe(mine.cumulativeAmount);
    expect(work.toString()).toBe(mine.cumulativeWork);
    const after = workerOf(await balances(w), before.address)!;
    expect({ settled: after.settled, pending: after.pending }).toEqual({ settled: mine.cumulativeAmount, pending: '0' });
    figures.reloadSettleGas = settle.gasUsed;
    lap('reloadDone');
  });

  it('c. a tab that joins after the job catches the receipts up by sync, not gossip', async () => {
    const late = await openTab('&role=requester&identity=p-late');
    const want = (await stored(0)).map((r) => r.digest).sort();
    expect(want.length).toBe(2);
    const got = await waitFor(
      'the late tab to hold every receipt the requester holds',
      30_000,
      async () => {
        const r = (await stored(late)).map((x) => x.digest).sort();
        return JSON.stringify(r) === JSON.stringify(want) && r;
      },
      async () => ({ late: await stored(late), logs: await logsOf(late) }),
    );
    expect(got).toEqual(want);
    expect(await call<number>(late, 'gossipReceiptsSeen'), 'receipt gossip the late tab saw').toBe(0);
    const logs = await logsOf(late);
    expect(logs.filter((l) => /caught up \d+ receipts/.test(l)).map((l) => Number(/caught up (\d+)/.exec(l)![1])).reduce((a, b) => a + b, 0), `receipts stored by catch-up (logs: ${logs.filter((l) => l.includes('payments')).join(' | ')})`).toBe(2);
    // Balances (one worker still pending, the other settled) equal in all four tabs.
    const want2 = await waitFor('every tab to agree on balances', 15_000, async () => {
      const all = await Promise.all([0, 1, 2, late].map(balances));
      const norm = all.map((b) => JSON.stringify([1, 2].map((w) => workerOf(b, tabs[w]!.address))));
      return norm.every((n) => n === norm[0]) && all[0];
    }, () => Promise.all([0, 1, 2, late].map(balances)));
    const w1 = workerOf(want2, tabs[1]!.address)!;
    expect(BigInt(w1.pending) > 0n, 'tab 1 still pending (only its receipt says so)').toBe(true);
    lap('lateCaughtUp');
  });

  // Catch-up can start on 'peer:connect' before the tab's first chain read; receipts judged then
  // would be refused for want of the requester's escrow. Payments waits for the first read and
  // retries refused-for-escrow pulls after a fresh read: this test failed before that fix.
  // Here the tab's RPC answers slowly for its first seconds, so its peers connect before the read lands.
  it('c2. a late tab whose first chain read is slow still catches the receipts up', async () => {
    const page = await browser.newPage();
    const slowUntil = Date.now() + 8_000;
    await page.route(`${d.config.rpcUrl}**`, async (route) => {
      if (Date.now() < slowUntil) await new Promise((r) => setTimeout(r, 1_500));
      await route.continue();
    });
    try {
      await page.goto(base + '&role=requester&identity=p-slow');
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await page.evaluate(() => (globalThis as any).jobsReady);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const ev = <T>(expr: () => T) => page.evaluate(expr);
      const want = (await stored(0)).map((r) => r.digest).sort();
      await waitFor(
        'the slow-RPC late tab to hold every receipt the requester holds (its RPC is fast again)',
        12_000,
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        async () => JSON.stringify(((await ev(() => (globalThis as any).jobsHarness.storedReceipts())) as Receipt[]).map((r) => r.digest).sort()) === JSON.stringify(want),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        () => ev(() => ((globalThis as any).jobsHarness.H.logs as string[]).filter((l) => l.includes('caught up'))),
      );
    } finally {
      await page.close();
    }
  });

  it('d. workers settle, anchor and claim emission; chain and every ledger agree; a proof verifies on-chain; workers are staked', async () => {
    const s1 = await call<Settle>(1, 'settleNow');
    expect(s1.receipts, 'tab 1 settled its receipt').toBe(1);
    const again = await call<Settle>(2, 'settleNow');
    expect(again.receipts, 'tab 2 has nothing left to settle').toBe(0);
    await d.advance(d.config.addresses.profile.epochSeconds + 1);
    const after = [await call<Settle>(1, 'settleNow'), await call<Settle>(2, 'settleNow')];
    figures.anchoredByCall = [...[s1, again].map((s) => s.anchored), ...after.map((s) => s.anchored)];
    figures.emissionByCall = [...[s1, again].map((s) => s.emission), ...after.map((s) => s.emission)];

    const { publicClient, c } = chainReads();
    // The chain's clock follows the wall clock (30 s epochs): the two settlements may fall in
    // different epochs, and one may end (and be anchored, its emission claimed) before the
    // advance. So judge from the chain: every epoch holding a worker's settlement is anchored and
    // the worker claimed its emission for it.
    const logs = await publicClient.getLogs({ address: d.config.addresses.settlement, fromBlock: BigInt(d.config.addresses.deployBlock), toBlock: 'latest' });
    const events = parseEventLogs({ abi: settlementAbi, logs });
    const batchEpoch = new Map(events.flatMap((e) => (e.eventName === 'BatchSettled' ? [[e.transactionHash, e.args.epoch] as const] : [])));
    const emitted = new Map<string, bigint>();
    for (const e of events) if (e.eventName === 'EmissionClaimed') emitted.set(lower(e.args.worker), (emitted.get(lower(e.args.worker)) ?? 0n) + e.args.reward);
    for (const w of [1, 2]) {
      const addr = lower(tabs[w]!.address);
      const epochs = [...new Set(events.flatMap((e) => (e.eventName === 'ReceiptSettled' && lower(e.args.worker) === addr ? [batchEpoch.get(e.transactionHash)!] : [])))];
      expect(epochs.length, `tab ${w}: epochs holding its settlement`).toBe(1);
      for (const e of epochs) {
        expect((await c.settlement.read.epochInfo([e])).anchored, `epoch ${e} (tab ${w}'s settlement) anchored`).toBe(true);
        expect((await c.settlement.read.workerEpoch([e, tabs[w]!.address]))[2], `tab ${w} claimed its emission for epoch ${e}`).toBe(true);
      }
      expect((emitted.get(addr) ?? 0n) > 0n, `tab ${w}: emission minted to it (${emitted.get(addr) ?? 0n})`).toBe(true);
    }
    figures.emission = Object.fromEntries([...emitted].map(([k, v]) => [k.slice(-6), v.toString()]));

    const onChain: Record<string, string> = {};
    for (const w of [1, 2]) onChain[lower(tabs[w]!.address)] = (await c.settlement.read.settled([requester, tabs[w]!.address]))[0].toString();
    for (const r of receipts) expect(onChain[lower(r.worker)], `on-chain settled for ${r.worker} = its receipt`).toBe(r.cumulativeAmount);
    const late = 3;
    await waitFor('every tab’s ledger to show what the chain settled', 15_000, async () => {
      const all = await Promise.all([0, 1, 2, late].map(balances));
      return all.every((b) => [1, 2].every((w) => {
        const x = workerOf(b, tabs[w]!.address);
        return x && x.earned === onChain[lower(tabs[w]!.address)] && x.settled === x.earned && x.pending === '0';
      }));
    }, () => Promise.all([0, 1, 2, late].map(balances)));
    figures.onChain = onChain;

    // Inclusion proof from each worker's ledger, checked by the contract.
    for (const w of [1, 2]) {
      const p = await waitFor(`tab ${w}'s ledger to hold an inclusion proof for its receipt`, 15_000, async () => {
        await call(w, 'payments'); // polls the chain into the ledger
        const x = await call<Proof>(w, 'inclusionProof', requester, tabs[w]!.address);
        return x?.proof && x;
      }, () => call(w, 'inclusionProof', requester, tabs[w]!.address));
      const { leaf, epoch, epochRoot, proof } = p.proof!;
      expect(leaf).toBe(p.digest);
      expect(await c.settlement.read.epochRoot([BigInt(epoch)]), 'epoch root the ledger proves against = the chain’s').toBe(epochRoot);
      expect(await c.settlement.read.verifyInclusion([BigInt(epoch), leaf, proof]), `tab ${w}: verifyInclusion on-chain`).toBe(true);
      const wrongLeaf = `0x${(BigInt(leaf) ^ 1n).toString(16).padStart(64, '0')}` as Hex;
      expect(await c.settlement.read.verifyInclusion([BigInt(epoch), wrongLeaf, proof]), 'verifyInclusion of another leaf').toBe(false);
    }

    // Only staked workers were offered work: each contributor holds at least minStake, the tabs that did not contribute do not.
    const staking = d.config.addresses.staking!;
    const minStake = (await c.params.read.minStake()) as bigint;
    expect(minStake > 0n).toBe(true);
    for (const i of [0, 1, 2, late]) {
      const bonded = (await publicClient.readContract({ address: staking, abi: stakingAbi, functionName: 'bonded', args: [tabs[i]!.address] })) as bigint;
      const eligible = (await publicClient.readContract({ address: staking, abi: stakingAbi, functionName: 'isEligible', args: [tabs[i]!.address] })) as boolean;
      if (i === 1 || i === 2) {
        expect(bonded >= minStake, `tab ${i} bonded ${bonded} ≥ minStake ${minStake}`).toBe(true);
        expect(eligible, `tab ${i} eligible`).toBe(true);
      } else expect(eligible, `non-contributing tab ${i} eligible`).toBe(false);
    }
    lap('settled');
  });

  it('e. forged receipts sent over the mesh are refused naming the signature; stored receipts unchanged', async () => {
    const target = 1;
    const attacker = 3; // the late tab
    await waitFor('the late tab to link directly to tab 1', 30_000, async () => (await summary(attacker)).direct.includes(tabs[target]!.id), () => summary(attacker));
    const storedBefore = await stored(target);
    const rawBefore = await call<Receipt[]>(target, 'rawLedgerReceipts');
    const balBefore = await balances(target);
    const real = receipts.find((r) => lower(r.worker) === lower(tabs[target]!.address))!;
    type Sent = { ack: { accepted: boolean; reason: string } };
    const foreign = await call<Sent>(attacker, 'sendForgedReceipt', tabs[target]!.id, 'foreign-key', { requester, worker: tabs[target]!.address });
    const tampered = await call<Sent>(attacker, 'sendForgedReceipt', tabs[target]!.id, 'tampered', { base: real });
    const highS = await call<Sent>(attacker, 'sendForgedReceipt', tabs[target]!.id, 'high-s', { base: real });
    figures.forged = { foreign: foreign.ack, tampered: tampered.ack, highS: highS.ack };
    for (const [what, s] of Object.entries({ foreign, tampered })) {
      expect(s.ack.accepted, `${what}: accepted`).toBe(false);
      expect(s.ack.reason, `${what}: refusal`).toMatch(/^SignerMismatchError: receipt\.signature: signature recovers 0x[0-9a-fA-F]{40}, not 0x[0-9a-fA-F]{40}/);
      expect(lower(s.ack.reason), `${what}: refusal names the requester`).toContain(lower(requester));
    }
    expect(highS.ack.accepted).toBe(false);
    expect(highS.ack.reason, 'high-s twin').toMatch(/^HighSSignatureError: .*signature\.s/);
    expect(await stored(target), 'stored receipts after the forgeries').toEqual(storedBefore);
    expect(await call<Receipt[]>(target, 'rawLedgerReceipts'), 'IndexedDB receipts after the forgeries').toEqual(rawBefore);
    expect(await balances(target), 'balances after the forgeries').toEqual(balBefore);
    const acks = (await call<Ack[]>(target, 'receiptAcks')).slice(-3);
    expect(acks.map((a) => [a.accepted, a.inIdbAtAck]), 'the forged receipts never reached IndexedDB').toEqual([[false, false], [false, false], [false, false]]);
    for (const i of [0, 1, 2, 3]) expect((await summary(i)).errors, `tab ${i} page errors`).toEqual([]);
    lap('forgedDone');
  });
});
