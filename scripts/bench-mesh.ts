/**
 * `npm run bench:mesh`: the mesh's transport half. Two Chromium tabs linked over direct WebRTC
 * (real relay, real Vite, loopback-only network namespace when available); one tab fetches
 * model-sized blobs from the other through `/tabmesh/blob/1.0.0` (256 KiB chunks, sha-256
 * verified) and prints MB/s per size and window. Then the dispatch half: a 4-tab job (one
 * requester, three contributors on WebGPU, scripts/demo.ts's swarm) and where a unit's time goes.
 * The last line is JSON. Not part of `npm test`.
 *
 * JSON fields beyond `results`:
 * - `transfer_MBps`: blob transfer at the largest size, best window, median of the runs.
 * - `overhead_ms_p50` / `overhead_ms_p95`: per unit, the requester's latency (the harness sees the
 *   unit leave `queued`, from 'progress' events, until it is `done`) minus the slowest replica's
 *   worker compute time (`timings.computeMs` of the ComputeWorker run, recorded on the
 *   contributor's page by wrapping `ComputeWorker.runUnit`, matched to the unit by a hash of its
 *   input). What remains is scheduling, model fetch/ack, transfer both ways, verification and
 *   queueing in the worker. The JobResult itself carries no worker compute time.
 * - `compute_share`: Σ worker compute time ÷ (contributors × job wall time).
 *
 * Flags: --sizes 4,16,64 (MiB), --windows 1,4,8, --runs 2; --job-samples 1000, --job-unit-size 50,
 * --job-replication 2, --job-tabs 4 (0 skips the job half), --job-slots N (per contributor; default the
 * swarm's).
 */
import './node-polyfills.ts';
import { parseArgs } from 'node:util';
import { Relay } from './relay.ts';
import { launchChromium, serveApp } from '../test/support/chromium.ts';
import { dispatchFigures, startSwarm, type DispatchFigures } from './demo.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '4,16,64' }, windows: { type: 'string', default: '1,4,8' }, runs: { type: 'string', default: '2' },
    'job-samples': { type: 'string', default: '1000' },
    'job-unit-size': { type: 'string', default: '50' },
    'job-replication': { type: 'string', default: '2' },
    'job-tabs': { type: 'string', default: '4' },
    'job-slots': { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const windows = values.windows.split(',').map(Number);
const runs = Number(values.runs);

const app = await serveApp();
const relay = new Relay({ port: 0 });
await relay.start();
const browser = await launchChromium({ webgpu: false, webrtc: true });
const results: { MiB: number; window: number; MBps: number[]; ok: boolean }[] = [];
try {
  const url = `${app.url}test/browser/harness/mesh.html?relay=${encodeURIComponent(relay.multiaddr)}`;
  const [a, b] = [await browser.newPage(), await browser.newPage()];
  await a.goto(url);
  await b.goto(url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const H = (p: typeof a, fn: string, ...args: unknown[]) => p.evaluate(([f, xs]) => (globalThis as any).meshHarness[f as string](...(xs as unknown[])), [fn, args] as const);
  const idA = await a.evaluate(() => (globalThis as any).meshReady);
  const idB = await b.evaluate(() => (globalThis as any).meshReady);
  const t0 = Date.now();
  while (!((await H(a, 'summary')) as { direct: string[] }).direct.includes(idB)) {
    if (Date.now() - t0 > 30_000) throw new Error('tabs did not link within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`linked over WebRTC in ${Date.now() - t0} ms (${idA.slice(-6)} ← ${idB.slice(-6)})`);
  for (const mib of sizes) {
    const hash = await H(b, 'makeBlob', mib * 1024 * 1024);
    for (const w of windows) {
      const r = { MiB: mib, window: w, MBps: [] as number[], ok: true };
      for (let i = 0; i < runs; i++) {
        const x = (await H(a, 'fetchBlob', idB, hash, w)) as { MBps: number; ok: boolean };
        r.MBps.push(+x.MBps.toFixed(1));
        r.ok &&= x.ok;
      }
      console.log(`${String(mib).padStart(4)} MiB  window ${String(w).padStart(2)}  ${r.MBps.map((v) => v.toFixed(1).padStart(6)).join(' ')} MB/s  ${r.ok ? 'verified' : 'HASH MISMATCH'}`);
      results.push(r);
    }
  }
} finally {
  await browser.close();
  await relay.stop();
  await app.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const largest = Math.max(...results.map((r) => r.MiB));
const transferMBps = Math.max(...results.filter((r) => r.MiB === largest).map((r) => median(r.MBps)));

// The dispatch half: one job over a 4-tab swarm, where does a unit's time go?
let job: (DispatchFigures & { samples: number; unitSize: number; replication: number; tabs: number; wallMs: number; unitsPerSecond: number; p50LatencyMs: number; p95LatencyMs: number; lostUnits: number }) | { error: string } | null = null;
const jobTabs = Number(values['job-tabs']);
if (jobTabs >= 2) {
  const samples = Number(values['job-samples']);
  const unitSize = Number(values['job-unit-size']);
  const replication = Number(values['job-replication']);
  const slots = values['job-slots'] !== undefined ? Number(values['job-slots']) : undefined;
  const swarm = await startSwarm({ tabs: jobTabs, ...(slots !== undefined ? { slots } : {}), log: (l) => console.log(l) });
  try {
    await swarm.call(0, 'submit', samples, replication, unitSize);
    type Outcome = { ok: true; wallMs: number; result: { unitsPerSecond: number; latencyMs: { p50: number; p95: number }; lostUnits: number } } | { ok: false; error: { name: string; message: string } };
    const o = await swarm.call<Outcome>(0, 'result', { withProbs: false });
    if (!o.ok) {
      job = { error: `${o.error.name}: ${o.error.message}` };
      console.log(`job failed: ${job.error}`);
    } else {
      const d = await dispatchFigures(swarm, o.wallMs, replication);
      job = { samples, unitSize, replication, tabs: jobTabs, wallMs: o.wallMs, unitsPerSecond: +o.result.unitsPerSecond.toFixed(2), p50LatencyMs: Math.round(o.result.latencyMs.p50), p95LatencyMs: Math.round(o.result.latencyMs.p95), lostUnits: o.result.lostUnits, ...d };
      console.log(`job: ${samples} digits, ${Math.ceil(samples / unitSize)} units of ${unitSize}, r=${replication}, ${jobTabs} tabs: ${o.wallMs} ms, ${job.unitsPerSecond} units/s`);
      console.log(`  unit latency p50 ${d.unitLatencyMs.p50} ms p95 ${d.unitLatencyMs.p95} ms; worker compute p50 ${d.computeMs.p50} ms p95 ${d.computeMs.p95} ms; dispatch overhead p50 ${d.overheadMs.p50} ms p95 ${d.overheadMs.p95} ms (${d.overheadMs.n} units; compute times from ${d.source})`);
      console.log(`  overhead without the wait in the worker's compute queue: p50 ${d.overheadExclQueueMs.p50} ms p95 ${d.overheadExclQueueMs.p95} ms`);
      console.log(`  on the worker, received → acknowledged minus compute: p50 ${d.workerSideOverheadMs.p50} ms p95 ${d.workerSideOverheadMs.p95} ms`);
      console.log(`  compute share ${(d.computeShare * 100).toFixed(1)}% of contributor time (${JSON.stringify(d.perWorkerComputeShare)}), extra replicas ${d.extraReplicas}`);
    }
  } finally {
    await swarm.close();
  }
}
const done = job && !('error' in job) ? job : null;
console.log(
  JSON.stringify({
    bench: 'mesh-blob-transfer',
    results,
    transfer_MBps: +transferMBps.toFixed(1),
    overhead_ms_p50: done ? done.overheadMs.p50 : null,
    overhead_ms_p95: done ? done.overheadMs.p95 : null,
    compute_share: done ? done.computeShare : null,
    overhead_excl_queue_ms_p50: done ? done.overheadExclQueueMs.p50 : null,
    overhead_excl_queue_ms_p95: done ? done.overheadExclQueueMs.p95 : null,
    job,
  }),
);
