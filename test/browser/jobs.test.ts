/**
 * Verified batch jobs end to end: a real relay, real Chromium tabs, real WebRTC, real WebGPU
 * (SwiftShader) compute workers, the shipped digits model and the published held-out digits.
 *
 * Run through `npm run test:browser`, which puts the run in a network namespace that has only
 * `lo` (scripts/loopback-netns.sh), so every packet stays on loopback.
 *
 * One Chromium, tab 0 the requester, tabs 1-3 contributors, one sequence (each step reuses the
 * mesh the first formed):
 * a. a job completes, every unit verified, the answer equal to the CPU reference, over direct links;
 * b. a contributor tab closes mid-job: nothing lost, nobody credited for what it did not return;
 * c. a corrupting contributor (tab 1 reopened with `corrupt=1`) is caught and paid nothing;
 * e. 2,000 malformed and bogus messages to a contributor: it keeps working, its state unchanged;
 * f. a job cancelled while its assignments are in flight stops, and costs the requester no score;
 * d. the relay stops mid-job: the job completes over the direct links.
 *
 * Every answer is checked sample by sample against the f64 CPU reference of the same model on
 * the same inputs, computed here in Node: a unit mixed up, lost or taken from a liar shows.
 */
import '../../scripts/node-polyfills.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Relay } from '../../scripts/relay.ts';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';
import { makeWaitFor } from '../support/wait-for.ts';
import { decodeDigitsDataset, imageToInput, DIGITS_PIXELS } from '../../src/models/digits/dataset.ts';
import { loadModel } from '../../src/models/load.ts';
import { digitsReference } from '../../src/models/digits/reference.ts';

const FUZZ_COUNT = Number(process.env.JOBS_FUZZ_COUNT ?? 2000);
const FUZZ_SEED = Number(process.env.JOBS_FUZZ_SEED ?? 4242);
const MAX_SAMPLES = 400;

type Conn = { peer: string; addr: string; webrtc: boolean; direct: boolean; status: string };
type ContributorInfo = { contributing: boolean; adapter?: { description?: string; vendor?: string; architecture?: string; isFallbackAdapter?: boolean }; unitsDone: number; unitsRunning: number; unitsFailed: number };
type Summary = {
  peerId: string;
  role: string;
  direct: string[];
  peers: { id: string; direct: boolean; score: number; offences: number; bannedUntil: number | null; capability: { freeSlots: number } | null }[];
  conns: Conn[] | null;
  meshExposed: boolean;
  relayConnected: boolean | null;
  rejected: number | null;
  contributor: ContributorInfo;
  computeRuns: number;
  errors: string[];
};
type Result = {
  jobId: string;
  argmax: number[];
  probs: number[];
  classes: number;
  accuracy?: number;
  credits: Record<string, number>;
  perWorker: Record<string, { assigned: number; accepted: number; rejected: number }>;
  mismatchesDetected: number;
  equivocations: number;
  lostUnits: number;
  unitsPerSecond: number;
  latencyMs: { p50: number; p95: number };
};
type Outcome = { ok: true; wallMs: number; result: Result } | { ok: false; wallMs: number; error: { name: string; message: string } };
type Progress = { jobId: string; counts: Record<string, number>; done: boolean; units: number; workers: string[][]; attempts: number[]; states: string[] };
type Bogus = { kind: string; accepted: boolean | null; reason: string; error: string | null };

let app: ServedApp;
let relay: Relay;
let browser: LaunchedBrowser;
/** tabs[0] is the requester; a closed tab stays in the list with `page: null`. */
const tabs: { page: Page | null; id: string; label: string }[] = [];
let base = '';
const figures: Record<string, unknown> = {};
let reference: { argmax: Uint32Array; probs: Float32Array; labels: Uint8Array };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = <T>(i: number, fn: string, ...args: unknown[]): Promise<T> => tabs[i]!.page!.evaluate(([f, a]) => (globalThis as any).jobsHarness[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
const summary = (i: number) => call<Summary>(i, 'summary');
const progress = () => call<Progress | null>(0, 'progress');
const open = () => tabs.map((t, i) => (t.page ? i : -1)).filter((i) => i >= 0);
const allSummaries = () => Promise.all(open().map((i) => summary(i).catch((e) => `tab ${i}: ${String(e)}`)));

const waitFor = makeWaitFor(() => browser.logs, { stateChars: 6000, logLines: 30 });

async function openTab(label: string, query: string): Promise<number> {
  const page = await browser.newPage();
  await page.goto(base + query);
  const s = await page.evaluate(() => (globalThis as any).jobsReady as Promise<Summary>);
  tabs.push({ page, id: s.peerId, label });
  return tabs.length - 1;
}

/** Waits until the requester holds a direct link to each of `workers` and knows its capability. */
async function requesterSees(workers: number[], ms = 40_000): Promise<void> {
  await waitFor(
    `the requester to link directly to contributors ${workers.join(', ')} and see their capability`,
    ms,
    async () => {
      const s = await summary(0);
      return workers.every((w) => s.peers.some((p) => p.id === tabs[w]!.id && p.direct && (p.capability?.freeSlots ?? 0) > 0));
    },
    () => summary(0),
  );
}

async function result(): Promise<Outcome> {
  return call<Outcome>(0, 'result');
}

/** Checks a finished job against the CPU reference and the labels; returns the result. */
function checkAnswer(o: Outcome, samples: number, what: string): Result {
  if (!o.ok) throw new Error(`${what}: the job failed: ${o.error.name}: ${o.error.message}`);
  const r = o.result;
  expect(r.lostUnits, `${what}: lost units`).toBe(0);
  expect(r.argmax.length, `${what}: argmax per sample`).toBe(samples);
  expect(r.classes).toBe(10);
  expect(r.probs.length).toBe(samples * 10);
  const wrong = r.argmax.map((a, i) => (a === reference.argmax[i] ? -1 : i)).filter((i) => i >= 0);
  expect(wrong, `${what}: samples whose argmax differs from the CPU reference`).toEqual([]);
  let maxDiff = 0;
  for (let i = 0; i < samples * 10; i++) maxDiff = Math.max(maxDiff, Math.abs(r.probs[i]! - reference.probs[i]!));
  expect(maxDiff, `${what}: max |prob − CPU reference prob|`).toBeLessThan(2e-3);
  let correct = 0;
  for (let i = 0; i < samples; i++) if (r.argmax[i] === reference.labels[i]) correct++;
  expect(r.accuracy, `${what}: reported accuracy`).toBeCloseTo(correct / samples, 9);
  expect(r.accuracy!, `${what}: accuracy`).toBeGreaterThanOrEqual(0.97);
  return r;
}

/**
 * Credits must follow verified work: a worker is credited at most once per unit, only for units
 * it was assigned and returned an accepted result for, and only contributors are credited.
 */
function checkCredits(r: Result, p: Progress, replication: number, contributors: string[], what: string): void {
  const units = p.units;
  expect(p.states.filter((s) => s !== 'done'), `${what}: units not done`).toEqual([]);
  for (const [peer, c] of Object.entries(r.credits)) {
    expect(contributors, `${what}: credited peer ${peer.slice(-6)} is a contributor`).toContain(peer);
    const w = r.perWorker[peer];
    expect(w, `${what}: perWorker entry of credited ${peer.slice(-6)}`).toBeDefined();
    expect(c, `${what}: credits of ${peer.slice(-6)} ≤ its accepted results`).toBeLessThanOrEqual(w!.accepted);
    expect(w!.accepted + w!.rejected, `${what}: ${peer.slice(-6)} accepted + rejected ≤ assigned`).toBeLessThanOrEqual(w!.assigned);
    expect(c, `${what}: credits of ${peer.slice(-6)} ≤ units`).toBeLessThanOrEqual(units);
    const onUnits = p.workers.filter((ws) => ws.includes(peer)).length;
    expect(c, `${what}: credits of ${peer.slice(-6)} ≤ units it worked on (${onUnits})`).toBeLessThanOrEqual(onUnits);
  }
  for (const [i, ws] of p.workers.entries()) expect(new Set(ws).size, `${what}: unit ${i} workers distinct: ${ws.join(',')}`).toBe(ws.length);
  const total = Object.values(r.credits).reduce((a, b) => a + b, 0);
  // Every verified unit credits at least `replication` agreeing workers…
  expect(total, `${what}: total credits ≥ units × r`).toBeGreaterThanOrEqual(units * replication);
  // …and at most the workers that worked on it.
  expect(total, `${what}: total credits ≤ Σ workers per unit`).toBeLessThanOrEqual(p.workers.reduce((a, ws) => a + ws.length, 0));
}

function record(name: string, o: Outcome, extra: Record<string, unknown> = {}): void {
  if (!o.ok) return;
  const r = o.result;
  const short = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.slice(-6), v]));
  figures[name] = {
    wallMs: o.wallMs,
    unitsPerSecond: +r.unitsPerSecond.toFixed(2),
    p50LatencyMs: Math.round(r.latencyMs.p50),
    p95LatencyMs: Math.round(r.latencyMs.p95),
    accuracy: r.accuracy,
    mismatches: r.mismatchesDetected,
    credits: short(r.credits),
    perWorker: short(r.perWorker),
    ...extra,
  };
  console.log(`job ${name}:`, JSON.stringify(figures[name]));
}

beforeAll(async () => {
  // The CPU reference (f64) of the shipped model on the first MAX_SAMPLES held-out digits.
  const pub = join(import.meta.dirname, '../../public');
  const dir = join(pub, 'models/digits-cnn');
  const model = await loadModel({ manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), fetchFile: async (p) => new Uint8Array(readFileSync(join(dir, p))) });
  const set = decodeDigitsDataset(new Uint8Array(readFileSync(join(pub, 'datasets/mnist-heldout.safetensors'))));
  const x = new Float32Array(MAX_SAMPLES * DIGITS_PIXELS);
  for (let i = 0; i < MAX_SAMPLES; i++) imageToInput(set, i, x, i * DIGITS_PIXELS);
  const ref = digitsReference(model, x, MAX_SAMPLES);
  reference = { argmax: ref.argmax, probs: ref.probs, labels: set.labels.slice(0, MAX_SAMPLES) };

  app = await serveApp();
  relay = new Relay({ port: 0 });
  await relay.start();
  browser = await launchChromium({ webrtc: true });
  base = `${app.url}test/browser/harness/jobs.html?relay=${encodeURIComponent(relay.multiaddr)}`;
  await openTab('requester', '&role=requester');
  // Tab 3 is the fuzz target: it must not ban its attacker mid-run.
  for (let i = 1; i <= 3; i++) await openTab(`contributor ${i}`, `&role=contributor&slots=2${i === 3 ? '&ban=off' : ''}`);
});

afterAll(async () => {
  console.log('jobs figures', JSON.stringify(figures));
  await browser?.close();
  await relay?.stop();
  await app?.close();
});

describe('verified batch jobs over 4 Chromium tabs', () => {
  it('a. completes a job over direct WebRTC links, every unit verified, the answer equal to the CPU reference', async () => {
    const t0 = Date.now();
    await waitFor(
      'every tab to hold a direct WebRTC link to every other tab',
      40_000,
      async () => {
        const ss = await Promise.all([0, 1, 2, 3].map(summary));
        return ss.every((s, i) => tabs.every((t, j) => i === j || s.direct.includes(t.id)));
      },
      allSummaries,
    );
    await requesterSees([1, 2, 3]);
    figures.meshMs = Date.now() - t0;
    const ss = await Promise.all([0, 1, 2, 3].map(summary));
    for (const [i, s] of ss.entries()) {
      expect(s.errors, `tab ${i} page errors`).toEqual([]);
      if (i > 0) {
        expect(s.contributor.contributing, `tab ${i} contributing`).toBe(true);
        expect(s.contributor.adapter, `tab ${i} adapter info`).toBeTruthy();
      }
      expect(s.meshExposed, 'TabmeshNode exposes its MeshNode as `mesh` (the test reads connections from it)').toBe(true);
      for (const [j, t] of tabs.entries()) {
        if (i === j) continue;
        const open = s.conns!.filter((c) => c.peer === t.id && c.status === 'open');
        expect(open.filter((c) => c.webrtc).map((c) => c.addr), `tab ${i} → tab ${j}: open connections with /webrtc in remoteAddr (all: ${open.map((c) => c.addr).join(' ')})`).not.toEqual([]);
      }
    }
    const ad = ss[1]!.contributor.adapter;
    figures.adapter = ad && [ad.vendor, ad.architecture, ad.description, ad.isFallbackAdapter ? '(fallback)' : ''].filter(Boolean).join(' ');

    const N = 200;
    const R = 2;
    await call(0, 'submit', N, R, 20);
    const o = await result();
    const r = checkAnswer(o, N, 'job a');
    const p = (await progress())!;
    expect(p.units).toBe(10);
    expect(r.mismatchesDetected, 'honest workers disagree').toBe(0);
    expect(r.equivocations).toBe(0);
    checkCredits(r, p, R, [1, 2, 3].map((i) => tabs[i]!.id), 'job a');
    // With no mismatch, no retry, every unit credits exactly r workers.
    if (p.attempts.every((a) => a === R) && p.workers.every((ws) => ws.length === R)) {
      expect(Object.values(r.credits).reduce((a, b) => a + b, 0), 'job a: total credits').toBe(10 * R);
    }
    // Contributors' own counters agree with the work they did.
    const done = (await Promise.all([1, 2, 3].map(summary))).map((s) => s.contributor.unitsDone);
    expect(done.reduce((a, b) => a + b, 0), 'units done on contributors ≥ units × r').toBeGreaterThanOrEqual(10 * R);
    record('a', o, { unitsDoneByContributor: done });
  });

  it('b. survives a contributor tab closing mid-job: no unit lost, nobody credited twice or for work it did not return', async () => {
    const N = 400;
    const R = 2;
    const closed = tabs[1]!;
    const doneBefore = (await summary(1)).contributor.unitsDone;
    await call(0, 'submit', N, R, 10);
    // Close it while it holds work: units verified already, and some running on the tab.
    const atClose = await waitFor(
      'job b to verify its first units while tab 1 runs one',
      60_000,
      async () => {
        const [p, s] = await Promise.all([progress(), summary(1)]);
        return p && p.counts.done! >= 1 && s.contributor.unitsRunning >= 1 && { p, s };
      },
      () => Promise.all([progress(), summary(1)]),
    );
    await closed.page!.close();
    closed.page = null;
    const before = atClose.p;
    const closedDone = atClose.s.contributor.unitsDone - doneBefore;
    expect(before.done, 'the job was still running when the tab closed').toBe(false);
    const o = await result();
    const r = checkAnswer(o, N, 'job b');
    const p = (await progress())!;
    checkCredits(r, p, R, [1, 2, 3].map((i) => tabs[i]!.id), 'job b');
    const w = r.perWorker[closed.id];
    expect(w, 'the closed tab had been assigned units').toBeDefined();
    expect(r.credits[closed.id] ?? 0, "closed tab's credits ≤ the results it returned").toBeLessThanOrEqual(w!.accepted);
    // It held work it never returned (running at close): that work was redone elsewhere, unpaid to it.
    expect(w!.assigned, 'closed tab: units assigned > results it returned').toBeGreaterThan(w!.accepted + w!.rejected);
    // Some of what it held was reassigned: the remaining two workers did every other replica.
    const others = [2, 3].map((i) => r.credits[tabs[i]!.id] ?? 0);
    for (const c of others) expect(c, 'each remaining worker credited').toBeGreaterThan(0);
    record('b', o, { closedTab: { credits: r.credits[closed.id] ?? 0, ...w, unitsDoneBeforeClose: closedDone, runningAtClose: atClose.s.contributor.unitsRunning }, doneAtClose: before.counts.done });
  });

  it('c. catches a contributor that corrupts its results: mismatches detected, liar paid nothing, answer still right', async () => {
    const liar = await openTab('corrupt contributor', '&role=contributor&slots=2&corrupt=1');
    try {
      await requesterSees([2, 3, liar]);
      const N = 200;
      const R = 2;
      await call(0, 'submit', N, R, 10);
      const o = await result();
      const r = checkAnswer(o, N, 'job c');
      const p = (await progress())!;
      const liarId = tabs[liar]!.id;
      const w = r.perWorker[liarId];
      expect(w, 'the corrupt contributor was assigned units').toBeDefined();
      expect(r.mismatchesDetected, 'replica disagreements found').toBeGreaterThan(0);
      expect(r.credits[liarId] ?? 0, "the corrupt contributor's credits").toBe(0);
      expect(w!.accepted, "the corrupt contributor's accepted results").toBe(0);
      expect(w!.rejected, "the corrupt contributor's rejected results").toBeGreaterThan(0);
      checkCredits(r, p, R, [2, 3].map((i) => tabs[i]!.id), 'job c');
      record('c', o, { liar: w });
    } finally {
      // The liar leaves; later jobs run on tabs 2 and 3.
      await tabs[liar]!.page!.close();
      tabs[liar]!.page = null;
    }
  });

  it(`e. a contributor survives ${FUZZ_COUNT} malformed and bogus messages, its state unchanged, and keeps working`, async () => {
    const target = 3;
    const attacker = 2;
    const c0 = (await summary(target)).contributor;
    const rejected0 = (await summary(target)).rejected ?? 0;
    const f = await call<{ sent: number; noConn: number; kinds: Record<string, number>; malformedMs: number; bogus: Bogus[] }>(attacker, 'fuzz', tabs[target]!.id, FUZZ_COUNT, FUZZ_SEED);
    expect(f.noConn, 'fuzz frames that found no connection (the target dropped the link)').toBe(0);
    const s1 = await waitFor(
      `the target to reject (nearly) all ${FUZZ_COUNT} malformed frames`,
      30_000,
      async () => {
        const s = await summary(target);
        return (s.rejected ?? 0) - rejected0 >= Math.floor(FUZZ_COUNT * 0.99) && s;
      },
      () => summary(target),
    );
    expect(s1.errors, 'page errors on the target').toEqual([]);
    const accepted = f.bogus.filter((b) => b.accepted === true);
    expect(accepted, 'bogus messages the target accepted').toEqual([]);
    // Nothing bogus got run or counted.
    await new Promise((r) => setTimeout(r, 500));
    const c1 = (await summary(target)).contributor;
    expect({ done: c1.unitsDone, running: c1.unitsRunning, failed: c1.unitsFailed, contributing: c1.contributing }, 'contributor state after the fuzz').toEqual({ done: c0.unitsDone, running: 0, failed: c0.unitsFailed, contributing: true });
    // A following job completes with the target credited for every unit (only tabs 2 and 3 remain,
    // r = 2), while the attacker sends the requester bogus results for that live job (a few, to
    // stay under any ban threshold).
    await requesterSees([2, 3]);
    const N = 400;
    const { jobId } = await call<{ jobId: string }>(0, 'submit', N, 2, 10);
    await waitFor('job e to be running', 30_000, async () => {
      const p = await progress();
      return p && p.counts.done! >= 1 && p;
    }, progress);
    const br = await call<Bogus[]>(attacker, 'bogusResults', tabs[0]!.id, jobId);
    const liveBefore = await progress();
    expect(br.filter((b) => b.accepted !== false), 'bogus unit-results the requester did not refuse with an ack').toEqual([]);
    // The live job's own checks answered (not "unknown job"), so the job was running meanwhile.
    expect(br.slice(1).map((b) => b.reason), 'refusals from the running job').not.toContain('unknown or finished job');
    expect(liveBefore!.done, 'job e still running after the bogus results').toBe(false);
    const o = await result();
    const r = checkAnswer(o, N, 'job e');
    const p = (await progress())!;
    checkCredits(r, p, 2, [2, 3].map((i) => tabs[i]!.id), 'job e');
    expect(r.credits[tabs[target]!.id], 'the fuzzed contributor credited for every unit').toBe(p.units);
    expect(r.credits[tabs[attacker]!.id], 'the attacker credited for its honest work, no more').toBe(p.units);
    const c2 = (await summary(target)).contributor;
    expect(c2.unitsDone - c1.unitsDone, 'units the fuzzed contributor ran after the fuzz').toBeGreaterThanOrEqual(p.units);
    const bogusSummary: Record<string, string[]> = {};
    for (const b of [...f.bogus, ...br]) (bogusSummary[b.kind] ??= []).includes(b.error ?? `ack:${b.reason.slice(0, 40)}`) || bogusSummary[b.kind]!.push(b.error ?? `ack:${b.reason.slice(0, 40)}`);
    figures.fuzz = { sent: f.sent, rejected: (s1.rejected ?? 0) - rejected0, malformedMs: Math.round(f.malformedMs), kinds: f.kinds, bogus: bogusSummary };
    console.log('fuzz:', JSON.stringify(figures.fuzz));
    record('e', o);
  });

  it('f. cancels a job mid-flight without costing the requester score at any worker', async () => {
    const workers = [2, 3];
    await requesterSees(workers);
    const requester = tabs[0]!.id;
    const standing = async () =>
      Promise.all(
        workers.map(async (w) => {
          const p = (await summary(w)).peers.find((x) => x.id === requester);
          return { worker: w, score: p?.score ?? 0, offences: p?.offences ?? 0 };
        }),
      );
    const before = await standing();
    // Big units (50 samples, 157 KB each) so the cancel finds assignments still being written or acked.
    await call(0, 'submit', 400, 2, 50);
    const at = await waitFor(
      'job f to have assignments in flight',
      30_000,
      async () => {
        const p = await progress();
        return p && !p.done && p.counts['fetching-model']! + p.counts.running! >= 1 && p;
      },
      progress,
    );
    await call(0, 'cancel');
    const o = await result();
    expect(o.ok, 'job f settled with an error').toBe(false);
    expect(!o.ok && o.error.name, 'job f error').toBe('JobCancelledError');
    const p = (await progress())!;
    expect(p.done).toBe(true);
    expect(p.states.filter((s) => s !== 'done' && s !== 'failed'), 'units still live after the cancel').toEqual([]);
    expect(at.counts.done, 'units verified before the cancel').toBeLessThan(p.units);
    // The workers drop the cancelled units and keep contributing.
    await waitFor('the workers to drop the cancelled units', 30_000, async () => (await Promise.all(workers.map(summary))).every((s) => s.contributor.unitsRunning === 0 && s.contributor.contributing), () => Promise.all(workers.map(summary)));
    // The resets the cancel caused are not offences: the requester's standing is what it was.
    expect(await standing(), "the requester's score and offences at each worker").toEqual(before);
    figures.f = { inFlightAtCancel: at.counts['fetching-model']! + at.counts.running!, doneAtCancel: at.counts.done };
  });

  it('d. completes a job when the relay stops mid-job', async () => {
    const N = 400;
    await call(0, 'submit', N, 2, 10);
    await waitFor('job d to verify its first units', 60_000, async () => {
      const p = await progress();
      return p && p.counts.done! >= 2 && p;
    }, progress);
    await relay.stop();
    const at = (await progress())!;
    expect(at.done, 'the job was still running when the relay stopped').toBe(false);
    await waitFor('the requester to notice the relay is gone', 15_000, async () => (await summary(0)).relayConnected === false, () => summary(0));
    const o = await result();
    const r = checkAnswer(o, N, 'job d');
    checkCredits(r, (await progress())!, 2, [2, 3].map((i) => tabs[i]!.id), 'job d');
    record('d', o, { doneAtRelayStop: at.counts.done });
    for (const i of open()) expect((await summary(i)).errors, `tab ${i} page errors`).toEqual([]);
  });
});
