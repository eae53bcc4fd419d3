/**
 * `npm run bench:gpu`: tabmesh's WebGPU kernels against TensorFlow.js's WebGPU backend, side by
 * side in one headless Chromium on one adapter (SwiftShader on this machine).
 *
 * - matmul GFLOP/s at 256, 512, 1024 (square f32): every tabmesh variant (MATMUL_VARIANTS), the
 *   autotuned default, and tf.matMul on the same data; tabmesh's figure is its best variant.
 * - digits CNN images/s at batch 1 and 64: tabmesh's classify() against the same CNN built in
 *   TF.js from the same weights, after checking that both give the same argmax and close logits.
 * - a diagnostic: the fixed cost of one request (a tiny relu + readback) in each library.
 *
 * How the timing is done is documented at the top of scripts/bench-gpu/page.ts; it is the same
 * for both libraries. Progress goes to stderr; the table, then one JSON line (last), to stdout.
 * Exits 1 with a message when WebGPU or the model is missing or the libraries disagree.
 *
 * Options (after `npm run bench:gpu --`):
 *   --reps N              timed rounds per configuration (default 5; --quick = 3)
 *   --sizes 256,512,1024  matmul sizes
 *   --tfjs-flag K=V       set a tf.env() flag before TF.js starts (repeatable), for experiments
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../test/support/chromium.ts';
import { median, type AdapterJson, type DigitsCheck, type MatmulCheck, type TabmeshInfo, type TfjsInfo } from './bench-gpu/common.ts';
import type { BenchApi } from './bench-gpu/page.ts';

const ROOT = join(import.meta.dirname, '..');
const MANIFEST = 'public/models/digits-cnn/manifest.json';
/** Real digits (the trainer's held-out split) when present; otherwise seeded synthetic images. */
const DATASET = 'public/datasets/mnist-heldout.safetensors';

/** "The same answer": matmul relative error, and logits (which are O(10) for this model). */
const MATMUL_REL_TOL = 1e-4;
const LOGIT_TOL = 1e-3;
/** Whole-run watchdog; a normal run takes 2-3 minutes here. */
const DEADLINE_MS = 9 * 60_000;

const DIGITS_BATCHES = [1, 64] as const;
/** classify() calls per digits rep. */
const DIGITS_CALLS: Record<number, number> = { 1: 16, 64: 2 };
const DIGITS_SAMPLES = 64;
/** A matmul contestant slower than this per rep stops after MIN_REPS rounds (keeps the run short). */
const SLOW_REP_MS = 3000;
const MIN_REPS = 3;

/** Back-to-back launches per matmul rep, so that the one readback per rep is a small share. */
function launchesFor(n: number): number {
  return Math.max(1, Math.round((1024 / n) ** 3 / 8));
}

interface Options {
  reps: number;
  sizes: number[];
  tfjsFlags: Record<string, number | boolean | string>;
}

class BenchFailure extends Error {}

function parseArgs(argv: string[]): Options {
  const opts: Options = { reps: 5, sizes: [256, 512, 1024], tfjsFlags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') opts.reps = 3;
    else if (a === '--reps') opts.reps = Number(argv[++i]);
    else if (a === '--sizes') opts.sizes = String(argv[++i]).split(',').map(Number);
    else if (a === '--tfjs-flag') {
      const [k, v = 'true'] = String(argv[++i]).split('=');
      opts.tfjsFlags[k!] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
    } else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench:gpu [-- [--reps N] [--quick] [--sizes 256,512,1024] [--tfjs-flag NAME=VALUE]...]');
      process.exit(0);
    } else throw new BenchFailure(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(opts.reps) || opts.reps < 1) throw new BenchFailure('--reps must be a positive integer');
  if (!opts.sizes.length || !opts.sizes.every((n) => Number.isInteger(n) && n > 0)) throw new BenchFailure('--sizes must be positive integers');
  return opts;
}

function log(msg: string): void {
  process.stderr.write(`[bench:gpu] ${msg}\n`);
}

/** Calls one step of the page's `window.bench`. */
function step<K extends keyof BenchApi>(page: Page, name: K, ...args: Parameters<BenchApi[K]>): Promise<Awaited<ReturnType<BenchApi[K]>>> {
  return page.evaluate(
    ({ name, args }) => {
      const bench = window.bench as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return bench[name]!(...args);
    },
    { name, args: args as unknown[] },
  ) as Promise<Awaited<ReturnType<BenchApi[K]>>>;
}

const gflops = (n: number, launches: number, ms: number): number => (launches * 2 * n ** 3) / (ms * 1e6);
const round = (x: number, d = 2): number => Number(x.toFixed(d));
const cell = (s: string, w = 11): string => s.padStart(w);
const label = (s: string): string => s.padEnd(26);

interface MatmulRun {
  n: number;
  launches: number;
  defaultVariant: string;
  checks: MatmulCheck[];
  /** Per contestant ('tfjs', 'tabmesh:<variant>', 'tabmesh:default'), ms per rep. */
  ms: Map<string, number[]>;
}

// Kept at module level so the watchdog and signal handlers can close them.
let app: ServedApp | null = null;
let browser: LaunchedBrowser | null = null;

async function cleanup(): Promise<void> {
  const b = browser;
  const s = app;
  browser = null;
  app = null;
  await Promise.race([
    Promise.all([b?.close().catch(() => undefined), s?.close().catch(() => undefined)]),
    new Promise((r) => setTimeout(r, 15_000)),
  ]);
}

async function run(opts: Options): Promise<void> {
  if (!existsSync(join(ROOT, MANIFEST))) throw new BenchFailure(`${MANIFEST} is missing: train the digits model first (npm run train)`);
  const datasetUrl = existsSync(join(ROOT, DATASET)) ? '/' + DATASET.replace(/^public\//, '') : null;
  const load0 = loadavg()[0]!;
  const started = Date.now();

  log('starting vite and chromium');
  app = await serveApp();
  browser = await launchChromium();
  const page = await browser.newPage();
  const logs = browser.logs;
  page.setDefaultTimeout(0); // steps are long; the watchdog bounds the run
  await page.goto(`${app.url}scripts/bench-gpu/index.html`);
  await page
    .waitForFunction(() => window.benchReady === true || window.benchError !== undefined, undefined, { timeout: 120_000 })
    .catch((e: Error) => {
      throw new BenchFailure(`the benchmark page did not load: ${e.message}\n${logs.join('\n')}`);
    });
  const loadError = await page.evaluate(() => window.benchError);
  if (loadError) throw new BenchFailure(`the benchmark page failed to load: ${loadError}\n${logs.join('\n')}`);

  const adapter: AdapterJson = await step(page, 'adapter').catch((e: Error) => {
    throw new BenchFailure(`no WebGPU adapter in Chromium (is ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} started with --enable-unsafe-webgpu?): ${e.message}`);
  });
  log(`adapter: ${adapter.vendor}/${adapter.architecture} "${adapter.description}" isFallbackAdapter=${adapter.isFallbackAdapter}`);
  const tfjs: TfjsInfo = await step(page, 'initTfjs', opts.tfjsFlags);
  log(`TF.js ${tfjs.version}: backend ${tfjs.backend} on ${tfjs.adapter.vendor}/${tfjs.adapter.architecture}${Object.keys(tfjs.flags).length ? `, flags ${JSON.stringify(tfjs.flags)}` : ''}`);
  const tm: TabmeshInfo = await step(page, 'initTabmesh');
  log(`tabmesh: ${tm.adapter.vendor}/${tm.adapter.architecture}; autotune ${round(tm.autotuneMs, 0)} ms → ${JSON.stringify(tm.tuning)}`);
  if (tm.adapter.architecture !== adapter.architecture || tfjs.adapter.architecture !== adapter.architecture) {
    throw new BenchFailure(`the libraries got different adapters: page ${adapter.architecture}, TF.js ${tfjs.adapter.architecture}, tabmesh ${tm.adapter.architecture}`);
  }

  // ---- matmul
  const matmuls: MatmulRun[] = [];
  for (const n of opts.sizes) {
    const launches = launchesFor(n);
    log(`matmul ${n}: upload, check, warm up (${launches} launch${launches > 1 ? 'es' : ''} per rep)`);
    const { contestants, defaultVariant, checks } = await step(page, 'matmulSetup', n, launches);
    const bad = checks.filter((c) => !(c.maxRelErr <= MATMUL_REL_TOL));
    if (bad.length) throw new BenchFailure(`matmul ${n}: wrong products (tolerance ${MATMUL_REL_TOL}): ${bad.map((c) => `${c.contestant} rel err ${c.maxRelErr}`).join(', ')}`);
    const ms = new Map<string, number[]>(contestants.map((c) => [c, []]));
    for (let r = 0; r < opts.reps; r++) {
      // Rotate the order each round so no contestant always follows the same one.
      for (let i = 0; i < contestants.length; i++) {
        const c = contestants[(i + r) % contestants.length]!;
        const times = ms.get(c)!;
        if (times.length >= MIN_REPS && median(times) > SLOW_REP_MS) continue;
        times.push(await step(page, 'matmulRep', c, launches));
      }
    }
    await step(page, 'matmulTeardown');
    matmuls.push({ n, launches, defaultVariant, checks, ms });
    log(`matmul ${n}: ` + [...ms].map(([c, v]) => `${c} ${round(gflops(n, launches, median(v)))}`).join(', ') + ' GFLOP/s');
  }

  // ---- fixed cost per request
  const rtt = await step(page, 'roundTrip', Math.max(opts.reps, 7));
  log(`round trip (relu of 4096 floats + readback): tabmesh ${round(rtt.tabmesh)} ms, TF.js ${round(rtt.tfjs)} ms`);

  // ---- digits
  log('digits: loading the model for both libraries and comparing their answers');
  const check: DigitsCheck = await step(page, 'digitsSetup', { manifestUrl: '/models/digits-cnn/manifest.json', datasetUrl, samples: DIGITS_SAMPLES, marginTol: LOGIT_TOL });
  log(`digits: ${check.inputs}: max |logit diff| ${check.maxLogitDiff.toExponential(2)}, argmax mismatches ${check.argmaxMismatches}/${check.samples}`);
  if (!(check.maxLogitDiff <= LOGIT_TOL) || check.seriousMismatches > 0) {
    throw new BenchFailure(`digits: tabmesh and TF.js disagree: max |logit diff| ${check.maxLogitDiff} (tolerance ${LOGIT_TOL}), ${check.argmaxMismatches} argmax mismatches (${check.seriousMismatches} where TF.js's top-2 margin exceeds ${LOGIT_TOL})`);
  }
  const digitMs = new Map<number, { tfjs: number[]; tabmesh: number[] }>();
  for (const b of DIGITS_BATCHES) {
    const calls = DIGITS_CALLS[b]!;
    const m = { tfjs: [] as number[], tabmesh: [] as number[] };
    for (let r = 0; r < opts.reps; r++) {
      for (const c of r % 2 ? (['tfjs', 'tabmesh'] as const) : (['tabmesh', 'tfjs'] as const)) m[c].push(await step(page, 'digitsRep', c, b, calls));
    }
    digitMs.set(b, m);
    log(`digits batch ${b}: tabmesh ${round((calls * b * 1000) / median(m.tabmesh), 1)} img/s, TF.js ${round((calls * b * 1000) / median(m.tfjs), 1)} img/s`);
  }
  await step(page, 'digitsTeardown');
  const load1 = loadavg()[0]!;
  await cleanup();

  // ---- figures
  const variants: Record<string, Record<string, number>> = {};
  const matmulBest: Record<string, number> = {};
  const bestVariant: Record<string, string> = {};
  const tfMatmul: Record<string, number> = {};
  for (const r of matmuls) {
    const key = String(r.n);
    variants[key] = {};
    for (const [c, v] of r.ms) {
      const g = round(gflops(r.n, r.launches, median(v)), 3);
      if (c === 'tfjs') tfMatmul[key] = g;
      else variants[key]![c.slice('tabmesh:'.length)] = g;
    }
    // Best over the real variants; 'default' is one of them run again, so it is shown but not a candidate.
    const [name, g] = Object.entries(variants[key]!).filter(([v]) => v !== 'default').sort((x, y) => y[1] - x[1])[0]!;
    matmulBest[key] = g;
    bestVariant[key] = name;
  }
  const dig: Record<string, number> = {};
  const tfDig: Record<string, number> = {};
  for (const b of DIGITS_BATCHES) {
    const m = digitMs.get(b)!;
    const calls = DIGITS_CALLS[b]!;
    dig[String(b)] = round((calls * b * 1000) / median(m.tabmesh), 1);
    tfDig[String(b)] = round((calls * b * 1000) / median(m.tfjs), 1);
  }

  // ---- table
  const sizes = matmuls.map((r) => String(r.n));
  const L: string[] = [''];
  L.push(`Adapter: ${adapter.vendor || '?'} / ${adapter.architecture || '?'}${adapter.description ? ` "${adapter.description}"` : ''}, isFallbackAdapter ${adapter.isFallbackAdapter} (TF.js and tabmesh each opened their own device on it)`);
  L.push(`TF.js ${tfjs.version} webgpu backend, flags ${Object.keys(tfjs.flags).length ? JSON.stringify(tfjs.flags) : 'none (defaults)'}; tabmesh autotune ${JSON.stringify(tm.tuning)}`);
  L.push(`Median of ${opts.reps} interleaved reps after a warm-up (matmul contestants slower than ${SLOW_REP_MS / 1000} s/rep: ${Math.min(MIN_REPS, opts.reps)}).`);
  L.push('Upload excluded; kernels + one readback per rep included (matmul: N launches back to back, then one read).');
  L.push('');
  L.push(label('matmul GFLOP/s (n×n×n)') + sizes.map((s) => cell(s)).join(''));
  L.push(label('TF.js tf.matMul') + sizes.map((s) => cell(tfMatmul[s]!.toFixed(2))).join(''));
  const variantNames = Object.keys(variants[sizes[0]!]!);
  for (const v of variantNames) {
    const name = v === 'default' ? `tabmesh default (${[...new Set(matmuls.map((r) => r.defaultVariant))].join('/')})` : `tabmesh ${v}`;
    L.push(label(name) + sizes.map((s) => cell(variants[s]![v]!.toFixed(2))).join(''));
  }
  L.push(label('tabmesh best') + sizes.map((s) => cell(matmulBest[s]!.toFixed(2))).join(''));
  L.push(label('  best variant') + sizes.map((s) => cell(bestVariant[s]!)).join(''));
  L.push(label('tabmesh best / TF.js') + sizes.map((s) => cell(`${(matmulBest[s]! / tfMatmul[s]!).toFixed(2)}x`)).join(''));
  L.push(label('launches per rep') + matmuls.map((r) => cell(String(r.launches))).join(''));
  L.push('');
  L.push(label('digits CNN images/s') + DIGITS_BATCHES.map((b) => cell(`batch ${b}`)).join(''));
  L.push(label('tabmesh classify()') + DIGITS_BATCHES.map((b) => cell(dig[String(b)]!.toFixed(1))).join(''));
  L.push(label('TF.js, same weights') + DIGITS_BATCHES.map((b) => cell(tfDig[String(b)]!.toFixed(1))).join(''));
  L.push(label('tabmesh / TF.js') + DIGITS_BATCHES.map((b) => cell(`${(dig[String(b)]! / tfDig[String(b)]!).toFixed(2)}x`)).join(''));
  L.push(label('classify() calls per rep') + DIGITS_BATCHES.map((b) => cell(String(DIGITS_CALLS[b]))).join(''));
  L.push('');
  L.push(`Round trip (relu of 4096 floats + readback, median ms): tabmesh ${rtt.tabmesh.toFixed(2)}, TF.js ${rtt.tfjs.toFixed(2)}`);
  const acc = check.tabmeshAccuracy === null ? '' : `; accuracy vs labels: tabmesh ${(check.tabmeshAccuracy * 100).toFixed(1)}%, TF.js ${(check.tfjsAccuracy! * 100).toFixed(1)}%`;
  L.push(`Digits agreement on ${check.inputs}: max |logit diff| ${check.maxLogitDiff.toExponential(2)}, argmax mismatches ${check.argmaxMismatches}/${check.samples}${acc}`);
  const worst = (pred: (c: MatmulCheck) => boolean, f: (c: MatmulCheck) => number): string => Math.max(...matmuls.flatMap((r) => r.checks.filter(pred).map(f))).toExponential(1);
  L.push(`matmul max relative error: tabmesh vs TF.js and CPU ${worst((c) => c.contestant !== 'tfjs', (c) => c.maxRelErr)}; TF.js vs CPU ${worst((c) => c.contestant === 'tfjs', (c) => c.vsCpu)}`);
  L.push(`Load average (1 min) ${load0.toFixed(2)} before, ${load1.toFixed(2)} after, on ${availableParallelism()} cores: other processes skew timings. Total ${Math.round((Date.now() - started) / 1000)} s.`);
  console.log(L.join('\n'));

  const largest = sizes[sizes.length - 1]!;
  const json = {
    matmul_gflops: matmulBest,
    tfjs_matmul_gflops: tfMatmul,
    digits_images_per_s: dig,
    tfjs_digits_images_per_s: tfDig,
    ratio_matmul: round(matmulBest[largest]! / tfMatmul[largest]!, 3),
    ratio_digits: round(dig['64']! / tfDig['64']!, 3),
    adapter: { vendor: adapter.vendor, architecture: adapter.architecture, device: adapter.device, description: adapter.description, isFallbackAdapter: adapter.isFallbackAdapter },
    variants,
    best_variant: bestVariant,
    autotuned: tm.tuning,
    autotune_score: tm.autotuneScore,
    max_logit_diff: check.maxLogitDiff,
    argmax_mismatches: check.argmaxMismatches,
    digits_inputs: check.inputs,
    digits_accuracy: { tabmesh: check.tabmeshAccuracy, tfjs: check.tfjsAccuracy },
    matmul_max_rel_err: Number(worst((c) => c.contestant !== 'tfjs', (c) => c.maxRelErr)),
    roundtrip_ms: { tabmesh: round(rtt.tabmesh, 3), tfjs: round(rtt.tfjs, 3) },
    reps: opts.reps,
    launches_per_rep: Object.fromEntries(matmuls.map((r) => [String(r.n), r.launches])),
    matmul_reps_taken: Object.fromEntries(matmuls.map((r) => [String(r.n), Object.fromEntries([...r.ms].map(([c, v]) => [c, v.length]))])),
    tfjs_version: tfjs.version,
    tfjs_flags: tfjs.flags,
    loadavg: [round(load0), round(load1)],
    method: 'median of interleaved reps after warm-up; upload excluded; matmul rep = N back-to-back launches + 1 readback; digits rep = classify() calls incl. input upload, softmax, argmax, readback',
  };
  console.log(JSON.stringify(json));
}

const watchdog = setTimeout(() => {
  log(`FAILED: timed out after ${DEADLINE_MS / 1000} s`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`interrupted (${sig})`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  await run(parseArgs(process.argv.slice(2)));
  clearTimeout(watchdog);
  process.exit(0);
} catch (err) {
  clearTimeout(watchdog);
  log(`FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error)?.stack ?? String(err))}`);
  await cleanup();
  process.exit(1);
}
