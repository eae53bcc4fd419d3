/**
 * `npm run demo`: a local tabmesh network doing real work. Starts the relay and the Vite server
 * (as `npm start` does), opens N headless Chromium tabs on the jobs harness page
 * (`test/browser/harness/jobs.html`): tab 0 submits, the others contribute their (SwiftShader or
 * real) GPU. The requester classifies the held-out digits over the mesh with replication r,
 * progress lines print while it runs, and the last line is `SUMMARY {json}`.
 *
 * Runs inside the loopback-only network namespace (scripts/loopback-netns.sh) when it can.
 *
 * Flags: --tabs 4 (≥ 2: one requester + contributors), --replication 2, --samples 2000,
 * --unit-size 50, --slots 1 (per contributor: units computed at once; one more is sent ahead), --corrupt 0 (how many contributors flip their
 * outputs, to watch verification catch them), --timeout 600 (s).
 * Exit code 0 when the job completed with no lost unit, 1 otherwise.
 *
 * Other scripts reuse {@link startSwarm} and {@link dispatchFigures} (scripts/bench-mesh.ts).
 */
import './node-polyfills.ts';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { Relay } from './relay.ts';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../test/support/chromium.ts';
import { chainFigures, startDemoChain, startGovernanceRound, type DemoChain } from './demo-chain.ts';

export interface SwarmOptions {
  tabs: number;
  slots?: number;
  /** How many contributors get `corrupt=1`. */
  corrupt?: number;
  /** The local chain the tabs are paid on (payments off without it). */
  chain?: DemoChain;
  log?: (line: string) => void;
}

export interface Swarm {
  app: ServedApp;
  relay: Relay;
  browser: LaunchedBrowser;
  pages: Page[];
  ids: string[];
  /** Calls `globalThis.jobsHarness[fn](...args)` on tab `i`. */
  call<T>(i: number, fn: string, ...args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

/** Relay + Vite + `tabs` Chromium tabs on the jobs harness, linked, contributors ready. */
export async function startSwarm(opts: SwarmOptions): Promise<Swarm> {
  const log = opts.log ?? (() => undefined);
  const app = await serveApp();
  const relay = new Relay({ port: 0 });
  await relay.start();
  const browser = await launchChromium({ webrtc: true });
  const pages: Page[] = [];
  const ids: string[] = [];
  const swarm: Swarm = {
    app,
    relay,
    browser,
    pages,
    ids,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    call: <T>(i: number, fn: string, ...args: unknown[]) => pages[i]!.evaluate(([f, a]) => (globalThis as any).jobsHarness[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>,
    close: async () => {
      await browser.close();
      await relay.stop();
      await app.close();
    },
  };
  try {
    const chainQ = opts.chain ? `&chain=${encodeURIComponent(JSON.stringify(opts.chain.config))}` : '';
    const base = `${app.url}test/browser/harness/jobs.html?relay=${encodeURIComponent(relay.multiaddr)}${chainQ}`;
    const t0 = Date.now();
    for (let i = 0; i < opts.tabs; i++) {
      const page = await browser.newPage();
      // Each tab its own identity, as separate browsers would have (tabs of one profile share one).
      const q = (i === 0 ? '&role=requester' : `&role=contributor${opts.slots !== undefined ? `&slots=${opts.slots}` : ''}${i <= (opts.corrupt ?? 0) ? '&corrupt=1' : ''}`) + `&identity=tab-${i}`;
      await page.goto(base + q);
      pages.push(page);
    }
    for (const [i, page] of pages.entries()) {
      const s = (await page.evaluate(() => (globalThis as any).jobsReady)) as { peerId: string; contributor: { adapter?: { description?: string; vendor?: string; architecture?: string; isFallbackAdapter?: boolean } } };
      const ad = s.contributor.adapter;
      const adapter = ad ? [ad.vendor, ad.architecture, ad.description, ad.isFallbackAdapter ? '(fallback)' : ''].filter(Boolean).join(' ') : '?';
      ids.push(s.peerId);
      log(`tab ${i} ${i === 0 ? 'requester  ' : 'contributor'} ${s.peerId.slice(-8)}${i > 0 ? `  adapter: ${adapter}${i <= (opts.corrupt ?? 0) ? '  (corrupt)' : ''}` : ''}`);
    }
    // The requester must link directly to every contributor and know its capability.
    for (;;) {
      const s = await swarm.call<{ peers: { id: string; direct: boolean; capability: { freeSlots: number } | null }[] }>(0, 'summary');
      const linked = ids.slice(1).filter((id) => s.peers.some((p) => p.id === id && p.direct && (p.capability?.freeSlots ?? 0) > 0)).length;
      if (linked === ids.length - 1) break;
      if (Date.now() - t0 > 90_000) throw new Error(`the requester linked to ${linked} of ${ids.length - 1} contributors in 90 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`mesh ready in ${Date.now() - t0} ms: ${opts.tabs} tabs, direct WebRTC links`);
    return swarm;
  } catch (e) {
    await swarm.close().catch(() => undefined);
    throw e;
  }
}

const pct = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

type Run = { fp: string; start: number; end: number; computeMs: number; queuedMs: number; totalMs: number; ok: boolean };
type Timeline = { submittedAt: number; units: { index: number; fp: string; times: Record<string, number> }[] };

export interface DispatchFigures {
  /** Where worker compute times came from. */
  source: string;
  /** Per unit, requester latency (first assignment seen → verified) minus the slowest replica's worker compute time. */
  overheadMs: { p50: number; p95: number; n: number };
  /** The same, minus also the time the unit waited in the worker's compute queue (its other slot busy). */
  overheadExclQueueMs: { p50: number; p95: number; n: number };
  /** Per unit, requester latency as seen by the harness from progress events. */
  unitLatencyMs: { p50: number; p95: number };
  /** Worker compute per unit replica (upload + kernels + read-back, the worker's own timing). */
  computeMs: { p50: number; p95: number; n: number };
  /** On the worker: assignment received → result acknowledged, minus compute (queue, model, send). */
  workerSideOverheadMs: { p50: number; p95: number; n: number };
  /** Σ worker compute ÷ (contributors × job wall time). */
  computeShare: number;
  perWorkerComputeShare: Record<string, number>;
  /** Unit replicas computed beyond units × r (mismatch re-runs, reassignments). */
  extraReplicas: number;
}

type Executed = { jobId: string; unitIndex: number; requester: string; receivedAt: number; computeMs: number; deliveredAt: number | null };

/**
 * Dispatch overhead of the job that just finished on `swarm`. Worker compute time per unit
 * replica comes from each contributor's `ContributorInfo.recent` (jobId, unitIndex, computeMs);
 * where that is missing, from the compute runs the harness page recorded around
 * `ComputeWorker.runUnit`, matched to units by a fingerprint of the input slice. The requester's
 * per-unit latency is first assignment seen → verified, from its 'progress' events.
 */
export async function dispatchFigures(swarm: Swarm, wallMs: number, replication: number): Promise<DispatchFigures> {
  const tl = (await swarm.call<Timeline>(0, 'unitTimeline'))!;
  const jobId = await swarm.call<string>(0, 'jobId');
  const contributors = swarm.pages.slice(1).map((_, i) => i + 1);
  const runsPerTab = await Promise.all(contributors.map((i) => swarm.call<Run[]>(i, 'computeRuns')));
  const recentPerTab = await Promise.all(contributors.map((i) => swarm.call<{ recent?: Executed[] }>(i, 'contributor').then((c) => (c.recent ?? []).filter((u) => u.jobId === jobId))));
  const useRecent = recentPerTab.some((r) => r.length > 0);
  // unit index → compute ms of each replica
  const perUnit = new Map<number, number[]>();
  const fpToIndex = new Map(tl.units.map((u) => [u.fp, u.index]));
  const shares: Record<string, number> = {};
  const workerSide: number[] = [];
  let total = 0;
  for (const [k, i] of contributors.entries()) {
    const items: { index: number | undefined; computeMs: number }[] = useRecent
      ? recentPerTab[k]!.map((u) => {
          if (u.deliveredAt !== null) workerSide.push(u.deliveredAt - u.receivedAt - u.computeMs);
          return { index: u.unitIndex, computeMs: u.computeMs };
        })
      : runsPerTab[k]!.filter((r) => r.ok && r.start >= tl.submittedAt).map((r) => ({ index: fpToIndex.get(r.fp), computeMs: r.computeMs }));
    let c = 0;
    for (const it of items) {
      c += it.computeMs;
      if (it.index === undefined) continue;
      perUnit.set(it.index, [...(perUnit.get(it.index) ?? []), it.computeMs]);
    }
    total += c;
    shares[swarm.ids[i]!.slice(-6)] = +(c / wallMs).toFixed(4);
  }
  // Queue + compute per replica, from the harness's ComputeWorker.runUnit wrapper (always recorded).
  const busyPerUnit = new Map<number, number[]>();
  for (const runs of runsPerTab) {
    for (const r of runs) {
      const index = r.ok && r.start >= tl.submittedAt ? fpToIndex.get(r.fp) : undefined;
      if (index !== undefined) busyPerUnit.set(index, [...(busyPerUnit.get(index) ?? []), r.queuedMs + r.computeMs]);
    }
  }
  const overhead: number[] = [];
  const overheadExclQueue: number[] = [];
  const latency: number[] = [];
  const compute: number[] = [];
  let replicas = 0;
  for (const u of tl.units) {
    const assigned = Math.min(...['fetching-model', 'running', 'verifying', 'done'].map((s) => u.times[s] ?? Infinity));
    const done = u.times.done;
    const runs = perUnit.get(u.index) ?? [];
    replicas += runs.length;
    compute.push(...runs);
    if (done === undefined || !Number.isFinite(assigned) || runs.length === 0) continue;
    latency.push(done - assigned);
    overhead.push(done - assigned - Math.max(...runs));
    const busy = busyPerUnit.get(u.index);
    if (busy?.length) overheadExclQueue.push(done - assigned - Math.max(...busy));
  }
  return {
    source: useRecent ? 'ContributorInfo.recent' : 'harness ComputeWorker.runUnit wrapper',
    overheadMs: { p50: +pct(overhead, 0.5).toFixed(1), p95: +pct(overhead, 0.95).toFixed(1), n: overhead.length },
    overheadExclQueueMs: { p50: +pct(overheadExclQueue, 0.5).toFixed(1), p95: +pct(overheadExclQueue, 0.95).toFixed(1), n: overheadExclQueue.length },
    unitLatencyMs: { p50: +pct(latency, 0.5).toFixed(1), p95: +pct(latency, 0.95).toFixed(1) },
    computeMs: { p50: +pct(compute, 0.5).toFixed(2), p95: +pct(compute, 0.95).toFixed(2), n: compute.length },
    workerSideOverheadMs: { p50: +pct(workerSide, 0.5).toFixed(1), p95: +pct(workerSide, 0.95).toFixed(1), n: workerSide.length },
    computeShare: +(total / (wallMs * Math.max(1, contributors.length))).toFixed(4),
    perWorkerComputeShare: shares,
    extraReplicas: replicas - tl.units.length * replication,
  };
}

type Progress = { counts: Record<string, number>; done: boolean; units: number };
type Outcome =
  | { ok: true; wallMs: number; result: { accuracy?: number; credits: Record<string, number>; perWorker: Record<string, { assigned: number; accepted: number; rejected: number }>; mismatchesDetected: number; equivocations: number; spotChecked: number; lostUnits: number; units?: number; unitsVerified?: number; unitsPerSecond: number; latencyMs: { p50: number; p95: number }; argmax: number[] } }
  | { ok: false; wallMs: number; error: { name: string; message: string } };

let summaryPrinted = false;
function printSummary(x: unknown): void {
  if (summaryPrinted) return;
  summaryPrinted = true;
  console.log('SUMMARY ' + JSON.stringify(x));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tabs: { type: 'string', default: '4' },
      replication: { type: 'string', default: '2' },
      samples: { type: 'string', default: '2000' },
      'unit-size': { type: 'string', default: '50' },
      slots: { type: 'string', default: '1' },
      corrupt: { type: 'string', default: '0' },
      timeout: { type: 'string', default: '600' },
      'no-chain': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      console.error(`--${name} must be an integer from ${min} to ${max}, got ${v}`);
      process.exit(2);
    }
    return n;
  };
  const tabs = int('tabs', values.tabs, 2, 64);
  const replication = int('replication', values.replication, 1, 16);
  const samples = int('samples', values.samples, 1, 2000);
  const unitSize = int('unit-size', values['unit-size'], 1, 2000);
  const slots = int('slots', values.slots, 1, 64);
  const corrupt = int('corrupt', values.corrupt, 0, tabs - 1);
  const timeoutMs = int('timeout', values.timeout, 10, 86_400) * 1000;
  if (replication > tabs - 1) console.warn(`warning: replication ${replication} needs ${replication} distinct contributors; only ${tabs - 1} will run`);

  const t0 = Date.now();
  const demoChain = values['no-chain'] ? undefined : await startDemoChain();
  if (demoChain) console.log(`chain: ${demoChain.config.rpcUrl} (chain id ${demoChain.config.chainId}, settlement ${demoChain.config.addresses.settlement})`);
  const swarm = await startSwarm({ tabs, slots, corrupt, ...(demoChain ? { chain: demoChain } : {}), log: (l) => console.log(l) });
  const short = (id: string) => id.slice(-6);
  try {
    const { jobId } = await swarm.call<{ jobId: string }>(0, 'submit', samples, replication, unitSize);
    // A governance proposal runs alongside the job: bonded, proposed and voted now; executed after.
    const governance = demoChain ? startGovernanceRound(demoChain) : null;
    governance?.catch((e: Error) => console.error(`governance: ${e.message}`));
    const units = Math.ceil(samples / unitSize);
    console.log(`job ${jobId.slice(0, 12)}…: ${samples} digits in ${units} units of ${unitSize}, replication ${replication}, ${tabs - 1} contributors`);
    const resultP = swarm.call<Outcome>(0, 'result', { withProbs: false });
    let finished = false;
    void resultP.finally(() => (finished = true));
    const started = Date.now();
    let last = '';
    while (!finished) {
      if (Date.now() - started > timeoutMs) {
        await swarm.call(0, 'cancel').catch(() => undefined);
        break;
      }
      const p = await swarm.call<Progress | null>(0, 'progress').catch(() => null);
      if (p) {
        const c = p.counts;
        const line = `progress ${String(c.done ?? 0).padStart(5)}/${p.units} verified  running ${c.running ?? 0}  fetching ${c['fetching-model'] ?? 0}  verifying ${c.verifying ?? 0}  queued ${c.queued ?? 0}  failed ${c.failed ?? 0}`;
        if (line !== last) console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
        last = line;
      }
      await Promise.race([resultP, new Promise((r) => setTimeout(r, 1000))]);
    }
    const o = await resultP;
    const p = await swarm.call<Progress>(0, 'progress');
    if (!o.ok) {
      console.error(`job failed: ${o.error.name}: ${o.error.message}`);
      printSummary({ ok: false, error: `${o.error.name}: ${o.error.message}`, units, unitsVerified: p.counts.done ?? 0, lostUnits: units - (p.counts.done ?? 0), replication, tabs, wallMs: Date.now() - t0 });
      return 1;
    }
    const r = o.result;
    const d = await dispatchFigures(swarm, o.wallMs, replication).catch(() => null);
    const perWorker = Object.fromEntries(
      Object.entries(r.perWorker).map(([id, w]) => [short(id), { ...w, credits: r.credits[id] ?? 0 }]),
    );
    for (const [id, w] of Object.entries(perWorker)) console.log(`worker ${id}: assigned ${w.assigned}, accepted ${w.accepted}, rejected ${w.rejected}, credited ${w.credits}`);
    const economy = demoChain ? await settleAndAccount(swarm, demoChain, governance!) : {};
    const summary = {
      ok: r.lostUnits === 0,
      units,
      unitsVerified: r.unitsVerified ?? p.counts.done ?? 0,
      samples,
      unitSize,
      accuracy: r.accuracy,
      unitsPerSecond: +r.unitsPerSecond.toFixed(2),
      samplesPerSecond: +((samples / o.wallMs) * 1000).toFixed(1),
      perWorker,
      lostUnits: r.lostUnits,
      p50LatencyMs: Math.round(r.latencyMs.p50),
      p95LatencyMs: Math.round(r.latencyMs.p95),
      mismatchesDetected: r.mismatchesDetected,
      equivocations: r.equivocations,
      spotChecked: r.spotChecked,
      replication,
      tabs,
      corrupt,
      jobWallMs: o.wallMs,
      ...(d ? { overheadMsP50: d.overheadMs.p50, overheadMsP95: d.overheadMs.p95, overheadExclQueueMsP50: d.overheadExclQueueMs.p50, overheadExclQueueMsP95: d.overheadExclQueueMs.p95, computeShare: d.computeShare } : {}),
      ...economy,
      wallMs: Date.now() - t0,
    };
    printSummary(summary);
    const paidRight = !demoChain || (economy as { balancesMatch?: boolean }).balancesMatch === true;
    return r.lostUnits > 0 || (r.unitsVerified !== undefined && r.unitsVerified < units) || !paidRight ? 1 : 0;
  } finally {
    await swarm.close();
    await demoChain?.close();
  }
}

/**
 * After the job: the requester's receipts reach the workers, each worker settles its batch on
 * demand (the background schedule would do the same one epoch later), the chain moves past the
 * epoch so it can be anchored and emission claimed, the governance proposal is queued and
 * executed, and the chain's balances are compared with the ledgers'.
 */
async function settleAndAccount(swarm: Swarm, d: DemoChain, governance: ReturnType<typeof startGovernanceRound>) {
  const receipts = await swarm.call<unknown[]>(0, 'paid');
  console.log(`receipts: the requester signed ${receipts.length} cumulative receipts (one per credited worker)`);
  const contributors = swarm.pages.slice(1).map((_, i) => i + 1);
  for (const i of contributors) {
    const s = await swarm.call<{ receipts: number; gasUsed: string; txHash: string | null }>(i, 'settleNow');
    if (s.receipts > 0) console.log(`tab ${i} settled ${s.receipts} receipt(s) in ${s.txHash?.slice(0, 12)}… (${s.gasUsed} gas)`);
  }
  const round = await governance;
  await d.advance(d.config.addresses.profile.epochSeconds + 1);
  for (const i of contributors) {
    const s = await swarm.call<{ anchored: number[]; emission: string }>(i, 'settleNow');
    if (s.anchored.length || s.emission !== '0') console.log(`tab ${i} anchored epochs [${s.anchored.join(', ')}], claimed emission ${s.emission} wei`);
  }
  const gov = await round.finish();
  console.log(`governance: proposal "${round.description}" ${gov.state}; ${gov.param} ${gov.from} → ${gov.to}`);
  const figures = await chainFigures(d);
  // What the tabs' ledgers say each worker earned (the requester's ledger holds every receipt it signed).
  const ledger = await swarm.call<{ workers: Record<string, { earned: string; settled: string; pending: string }> }>(0, 'ledgerBalances');
  const ledgerBalances = Object.fromEntries(Object.entries(ledger.workers).map(([w, b]) => [w.toLowerCase(), b.earned]));
  const sameInEveryTab = await Promise.all(contributors.map((i) => swarm.call<{ workers: Record<string, { earned: string }> }>(i, 'ledgerBalances'))).then((all) =>
    all.every((b) => Object.entries(ledgerBalances).every(([w, e]) => (b.workers[w] ?? b.workers[w.toLowerCase()])?.earned === e)),
  );
  const keys = new Set([...Object.keys(ledgerBalances), ...Object.keys(figures.onChainBalances)]);
  const balancesMatch = keys.size > 0 && [...keys].every((k) => ledgerBalances[k] === figures.onChainBalances[k]);
  const proofs = await Promise.all(
    contributors.map(async (i) => {
      const p = await swarm.call<{ address: string }>(i, 'payments');
      const requester = await swarm.call<{ address: string }>(0, 'payments');
      return swarm.call<{ proof: { epochRoot: string } | undefined } | null>(i, 'inclusionProof', requester.address, p.address);
    }),
  );
  return {
    receiptsSigned: receipts.length,
    receiptsSettled: figures.receiptsSettled,
    balancesMatch,
    ledgersAgree: sameInEveryTab,
    onChainBalances: figures.onChainBalances,
    ledgerBalances,
    anchoredRoot: figures.anchoredRoot,
    inclusionProofs: proofs.filter((p) => p?.proof).length,
    gasPerUnit: figures.gasPerUnit,
    totalSupply: figures.totalSupply,
    emitted: figures.emitted,
    burned: figures.burned,
    staked: figures.staked,
    slashed: figures.slashed,
    treasury: figures.treasury,
    governance: { proposal: round.description, ...gov, from: gov.from.toString(), to: gov.to.toString() },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e?.stack ?? e);
      printSummary({ ok: false, error: String(e?.message ?? e) });
      process.exit(1);
    },
  );
}
