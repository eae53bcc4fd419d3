/**
 * Test harness page for the jobs layer: one real TabmeshNode (real MeshNode, real compute worker
 * on WebGPU) in a real Chromium tab, driven by `test/browser/jobs.test.ts`, `scripts/demo.ts` and
 * `scripts/bench-mesh.ts` through `globalThis.jobsHarness` and `page.evaluate`.
 *
 * Query parameters:
 * - `relay` (required): the relay multiaddr.
 * - `role=contributor|requester` (default contributor): a contributor calls `startContributing`.
 * - `corrupt=1`: `faults.corruptResults` (the contributor flips its outputs).
 * - `slots=N`: contributor slots.
 * - `ban=off`: never ban a peer (the fuzz target must keep listening to its attacker).
 * - `unitTimeoutMs=N`: the requester's reassignment timeout.
 *
 * Everything returned to the test is JSON-safe: typed arrays become plain arrays, bigints strings.
 */
import { TabmeshNode } from '../../../src/node/index.ts';
import type { JobHandle, JobProgress, JobResult, JobSpec } from '../../../src/jobs/index.ts';
import { fetchHeldOutDigits, type HeldOutDigits } from '../../../src/models/digits/held-out.ts';
import { ComputeWorker } from '../../../src/node/compute-worker.ts';
import { PROTOCOLS, sha256Hex, type MeshNode, type ProtocolName } from '../../../src/mesh/index.ts';
import { isDirectAddr } from '../../../src/mesh/config.ts';
import { malformed, prng, rawSend, servedProtocols } from './fuzz.ts';
import { parseChainConfig } from '../../../src/chain/config.ts';
import { MeshNode as MeshNodeClass } from '../../../src/mesh/index.ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { decodeReceiptMessage, encodeReceiptMessage, signReceipt, type SignedReceipt } from '../../../src/ledger/index.ts';

const MODEL_URL = '/models/digits-cnn/manifest.json';
const params = new URLSearchParams(location.search);
const role = params.get('role') === 'requester' ? 'requester' : 'contributor';
const slots = params.has('slots') ? Number(params.get('slots')) : undefined;
const unitTimeoutMs = params.has('unitTimeoutMs') ? Number(params.get('unitTimeoutMs')) : undefined;

const H = {
  errors: [] as string[],
  logs: [] as string[],
  /** Every run of a unit on this tab's compute worker (recorded by wrapping ComputeWorker.runUnit). */
  computeRuns: [] as { fp: string; batch: number; start: number; end: number; computeMs: number; queuedMs: number; totalMs: number; ok: boolean }[],
  progress: [] as { wall: number; counts: Record<string, number>; done: boolean }[],
  /** Per unit: wall time (ms epoch) the unit first reached each state, from 'progress' events. */
  unitTimes: new Map<number, Record<string, number>>(),
  lastProgress: null as JobProgress | null,
  nodeEvents: { peers: 0, contributor: 0, job: 0 },
};
addEventListener('error', (e) => H.errors.push(String(e.message)));
addEventListener('unhandledrejection', (e) => H.errors.push('unhandled: ' + String((e.reason as Error)?.stack ?? e.reason)));

/** FNV-1a over the bytes of an f32 array: how a worker's unit input is matched to the requester's unit index. */
function fingerprint(x: Float32Array): string {
  const b = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0') + ':' + x.length;
}

// Worker compute time is not part of the JobResult; the harness measures it where it happens.
// TabmeshNode runs units through ComputeWorker (the same module instance Vite serves here).
const origRunUnit = ComputeWorker.prototype.runUnit;
ComputeWorker.prototype.runUnit = async function (this: ComputeWorker, ...args: Parameters<ComputeWorker['runUnit']>) {
  const [, input, batch] = args;
  const fp = fingerprint(input);
  const start = Date.now();
  try {
    const r = await origRunUnit.apply(this, args);
    H.computeRuns.push({ fp, batch, start, end: Date.now(), computeMs: r.timings.computeMs, queuedMs: r.timings.queuedMs, totalMs: r.timings.totalMs, ok: true });
    return r;
  } catch (e) {
    H.computeRuns.push({ fp, batch, start, end: Date.now(), computeMs: 0, queuedMs: 0, totalMs: 0, ok: false });
    throw e;
  }
};

// ---- payments observation (test/browser/payments.test.ts) ----
// Every 'receipt' request this tab answers: whether the receipt was in this tab's IndexedDB
// ledger (read through a separate connection) at the moment the ack was produced.
const receiptAcks: { requester: string; worker: string; cumulativeAmount: string; accepted: boolean; reason: string; inIdbAtAck: boolean }[] = [];
/** Receipt messages this tab received on the 'receipts' gossip topic. */
let gossipReceiptsSeen = 0;
const ledgerDbName = () => `tabmesh-ledger${(params.get('identity') ?? 'default') === 'default' ? '' : `-${params.get('identity')}`}`;

/** The receipts in this tab's ledger database, read with the bare IndexedDB API (no Ledger, no node). */
async function rawIdbReceipts(): Promise<Record<string, unknown>[] | null> {
  const name = ledgerDbName();
  // Opening a database that does not exist would create it empty (and break the ledger's migrations).
  if (!(await indexedDB.databases()).some((d) => d.name === name)) return null;
  const db = await new Promise<IDBDatabase>((res, rej) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => res(req.result);
    req.onerror = () => rej(req.error);
  });
  try {
    if (!db.objectStoreNames.contains('receipts')) return [];
    return await new Promise<Record<string, unknown>[]>((res, rej) => {
      const req = db.transaction('receipts', 'readonly').objectStore('receipts').getAll();
      req.onsuccess = () => res(req.result as Record<string, unknown>[]);
      req.onerror = () => rej(req.error);
    });
  } finally {
    db.close();
  }
}

const origHandle = MeshNodeClass.prototype.handle;
MeshNodeClass.prototype.handle = function (this: MeshNodeClass, name: ProtocolName, handler: unknown) {
  if (name !== 'receipt') return origHandle.call(this, name as never, handler as never);
  const inner = handler as (msg: { data: Uint8Array }, ctx: unknown) => Promise<{ accepted: boolean; reason: string }>;
  const wrapped = async (msg: { data: Uint8Array }, ctx: unknown) => {
    const ack = await inner(msg, ctx);
    let r: SignedReceipt | null = null;
    try {
      r = decodeReceiptMessage(msg.data);
    } catch {
      /* undecodable: refused by the handler already */
    }
    let inIdbAtAck = false;
    if (r) {
      const rows = (await rawIdbReceipts().catch(() => null)) ?? [];
      inIdbAtAck = rows.some((x) => String(x.requester).toLowerCase() === r.requester.toLowerCase() && String(x.worker).toLowerCase() === r.worker.toLowerCase() && BigInt(x.cumulativeAmount as bigint) === r.cumulativeAmount && String(x.signature).toLowerCase() === r.signature.toLowerCase());
    }
    receiptAcks.push({ requester: r?.requester ?? '', worker: r?.worker ?? '', cumulativeAmount: String(r?.cumulativeAmount ?? ''), accepted: ack.accepted, reason: ack.reason, inIdbAtAck });
    return ack;
  };
  return origHandle.call(this, name as never, wrapped as never);
} as typeof MeshNodeClass.prototype.handle;

const origSubscribe = MeshNodeClass.prototype.subscribe;
MeshNodeClass.prototype.subscribe = function (this: MeshNodeClass, topic: string, listener: (m: unknown, from: string) => void) {
  if (topic !== 'receipts') return origSubscribe.call(this, topic as never, listener as never);
  return origSubscribe.call(this, topic as never, ((m: unknown, from: string) => {
    gossipReceiptsSeen++;
    listener(m, from);
  }) as never);
} as typeof MeshNodeClass.prototype.subscribe;

// `?chain=<json>` (the demo's local chain) turns payments on; each tab gets its own identity
// (`?identity=`), as separate browser profiles would. Without it the page runs without a chain.
const chain = params.get('chain') ? parseChainConfig(params.get('chain')!) : null;
const node = new TabmeshNode({
  chain,
  ...(chain ? { payments: { profile: params.get('identity') ?? 'default', settleEveryMs: Number(params.get('settleEveryMs') ?? 0), pollMs: 1_000 } } : {}),
  ...(params.get('relay') ? { relay: params.get('relay')! } : {}),
  faults: { corruptResults: params.get('corrupt') === '1' },
  log: (line) => {
    if (H.logs.length < 500) H.logs.push(line.slice(0, 300));
  },
  mesh: { ...(params.get('ban') === 'off' ? { peerBook: { disconnectBelow: -Infinity } } : {}), log: () => undefined },
  ...(unitTimeoutMs !== undefined ? { unitTimeoutMs } : {}),
});
node.addEventListener('peers', () => H.nodeEvents.peers++);
node.addEventListener('contributor', () => H.nodeEvents.contributor++);
node.addEventListener('job', () => H.nodeEvents.job++);

/** The node's MeshNode (the fuzzer sends raw streams through its libp2p node). */
function meshOf(): MeshNode | null {
  try {
    return node.mesh;
  } catch {
    return null; // not started
  }
}

/** Converts a value to something `page.evaluate` can return: typed arrays → arrays, bigint → string. */
function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (ArrayBuffer.isView(v)) return v instanceof DataView ? [] : Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : x));
  if (v instanceof ArrayBuffer) return Array.from(new Uint8Array(v));
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonSafe(x)]));
  if (v instanceof Set) return [...v].map(jsonSafe);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x !== 'function').map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

let started: Promise<unknown> | null = null;
let job: JobHandle | null = null;
let jobSubmittedAt = 0;
let jobSpec: { samples: number; unitSize: number; replication: number } | null = null;
let heldOut: HeldOutDigits | null = null;
let lastJobId = '';

function onProgress(p: JobProgress): void {
  const wall = Date.now();
  H.lastProgress = p;
  if (H.progress.length < 5000) H.progress.push({ wall, counts: { ...p.counts }, done: p.done });
  for (const u of p.units) {
    let t = H.unitTimes.get(u.index);
    if (!t) H.unitTimes.set(u.index, (t = {}));
    t[u.state] ??= wall;
  }
}

const harness = {
  node,
  H,
  role,
  /** Starts the node; a contributor also starts contributing. Resolves to the node's summary. */
  ready() {
    started ??= (async () => {
      await node.start();
      if (role === 'contributor') await node.startContributing(slots !== undefined ? { slots } : {});
    })().catch((e: Error) => {
      H.errors.push('ready: ' + String(e?.stack ?? e));
      throw e;
    });
    return started.then(() => harness.summary());
  },
  summary() {
    const mesh = meshOf();
    const conns = mesh?.started
      ? mesh.libp2p.getConnections().map((c) => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), webrtc: c.remoteAddr.toString().includes('/webrtc'), direct: isDirectAddr(c.remoteAddr), status: c.status }))
      : null;
    const peers = node.peers();
    return jsonSafe({
      peerId: node.peerId,
      role,
      direct: peers.filter((p) => p.direct).map((p) => p.id),
      peers: peers.map((p) => ({ id: p.id, direct: p.direct, score: p.score, offences: p.offences, bannedUntil: p.bannedUntil, capability: p.capability })),
      conns,
      meshExposed: mesh !== null,
      relayConnected: mesh?.started ? mesh.relayConnected() : null,
      rejected: mesh?.rejectedCount ?? null,
      contributor: node.contributor(),
      computeRuns: H.computeRuns.length,
      errors: H.errors,
      nodeEvents: H.nodeEvents,
    });
  },
  contributor: () => jsonSafe(node.contributor()),
  /** Payments of this tab: address, pending/settled/anchored, token balance, escrow, stake. */
  async payments() {
    const p = node.payments;
    if (!p) return null;
    await p.poll();
    return jsonSafe(await p.summary());
  },
  /** Requester: the receipts the last job paid (waits for them). */
  async paid() {
    const j = job as unknown as { paid: Promise<unknown[]> | null } | null;
    for (let i = 0; i < 100 && j && !j.paid; i++) await new Promise((r) => setTimeout(r, 50));
    return jsonSafe((await j?.paid) ?? []);
  },
  /** Settles this tab's receipts now, anchors ended epochs and claims emission. */
  async settleNow() {
    return jsonSafe(await node.payments!.settleNow());
  },
  /** The ledger's balances (the same in every tab that holds the same receipts). */
  async ledgerBalances() {
    const p = node.payments;
    if (!p) return null;
    await p.poll();
    return jsonSafe(await p.ledger.balances());
  },
  async inclusionProof(requester: string, worker: string) {
    const p = node.payments!;
    const r = await p.ledger.receipt(requester, worker);
    return r ? jsonSafe({ digest: r.digest, proof: await p.ledger.inclusionProof(r.digest as `0x${string}`) }) : null;
  },
  /** The digits model's id: sha-256 of the manifest bytes. */
  async modelId() {
    const b = new Uint8Array(await (await fetch(MODEL_URL)).arrayBuffer());
    return sha256Hex(b);
  },
  /** Requester: submits the first `n` held-out digits. */
  async submit(n: number, replication = 2, unitSize = 50, extra: Partial<Pick<JobSpec, 'spotCheck' | 'deadlineMs'>> = {}) {
    if (!heldOut || heldOut.count < n) heldOut = await fetchHeldOutDigits(n);
    const inputs = heldOut.inputs.subarray(0, n * 784);
    const labels = heldOut.labels.subarray(0, n);
    H.progress.length = 0;
    H.unitTimes.clear();
    H.lastProgress = null;
    jobSubmittedAt = Date.now();
    jobSpec = { samples: n, unitSize, replication };
    job = node.submit({ model: { url: MODEL_URL }, inputs: inputs.slice(), samples: n, unitSize, replication, labels: labels.slice(), ...extra });
    lastJobId = job.id;
    job.addEventListener('progress', (e) => onProgress((e as CustomEvent<JobProgress>).detail));
    job.result.catch(() => undefined); // observed by result()
    try {
      onProgress(job.progress());
    } catch {
      /* not yet */
    }
    return { jobId: job.id, submittedAt: jobSubmittedAt };
  },
  jobId: () => lastJobId,
  progress() {
    if (!job) return null;
    const p = job.progress();
    return jsonSafe({ jobId: p.jobId, counts: p.counts, done: p.done, units: p.units.length, workers: p.units.map((u) => u.workers), attempts: p.units.map((u) => u.attempts), states: p.units.map((u) => u.state), events: H.progress.length });
  },
  /** Awaits the job's result; never throws (the error comes back as `{ ok: false, error }`). */
  async result(opts: { withProbs?: boolean } = {}) {
    if (!job) throw new Error('no job submitted');
    try {
      const r: JobResult = await job.result;
      const wallMs = Date.now() - jobSubmittedAt;
      const { probs, ...rest } = r;
      return { ok: true as const, wallMs, result: jsonSafe(opts.withProbs === false ? { ...rest, probs: [] } : r), progressEvents: H.progress.length };
    } catch (e) {
      const err = e as Error;
      return { ok: false as const, wallMs: Date.now() - jobSubmittedAt, error: { name: err?.name, message: String(err?.message ?? e), field: (err as { field?: string })?.field } };
    }
  },
  async cancel() {
    await job?.cancel();
  },
  /** Compute runs on this tab (contributor side), for the dispatch-overhead figures. */
  computeRuns: () => H.computeRuns,
  /**
   * Requester side: per unit, its input fingerprint (to match workers' compute runs), and the wall
   * times it first reached each state (from 'progress' events).
   */
  unitTimeline() {
    if (!job || !heldOut || !jobSpec) return null;
    const { samples, unitSize } = jobSpec;
    const units = Math.ceil(samples / unitSize);
    const out = [];
    for (let i = 0; i < units; i++) {
      const a = i * unitSize;
      const b = Math.min(samples, a + unitSize);
      out.push({ index: i, fp: fingerprint(heldOut.inputs.subarray(a * 784, b * 784)), times: H.unitTimes.get(i) ?? {} });
    }
    return { submittedAt: jobSubmittedAt, units: out };
  },
  /**
   * Sends `count` random and malformed frames over every protocol to `target` (raw libp2p
   * streams, as mesh-harness.ts does), then well-formed but bogus messages; returns what was sent
   * and what the target answered to the bogus ones.
   */
  async fuzz(target: string, count: number, seed: number, opts: { bogus?: boolean; parallel?: number } = {}) {
    const mesh = meshOf();
    if (!mesh) throw new Error('TabmeshNode exposes no `mesh` getter: the fuzzer needs its libp2p node');
    const rnd = prng(seed);
    const protos = await servedProtocols(mesh, target);
    const frames = Array.from({ length: count }, () => {
      const p = protos[Math.floor(rnd() * protos.length)]!;
      return { p, ...malformed(p, rnd) };
    });
    const kinds: Record<string, number> = {};
    let next = 0;
    let noConn = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < frames.length) {
        const f = frames[next++]!;
        kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
        const r = await rawSend(mesh, target, f.p, f.bytes).catch(() => 'error');
        if (r === 'no-conn') noConn++;
      }
    };
    await Promise.all(Array.from({ length: opts.parallel ?? 8 }, worker));
    const malformedMs = performance.now() - t0;
    const bogus = opts.bogus === false ? [] : await sendBogus(mesh, target, rnd);
    return { sent: count, noConn, kinds, malformedMs, bogus };
  },
  /**
   * Well-formed but bogus unit-results to the requester `target` for job `jobId` (default: the
   * last job this tab heard announced): unknown job, unknown unit, output hash that does not match,
   * a claim that is not a signature, an output of the wrong size.
   */
  async bogusResults(target: string, jobId?: string) {
    const mesh = meshOf();
    if (!mesh) throw new Error('TabmeshNode is not started');
    return bogusResultsFor(mesh, target, jobId ?? (globalThis as { __lastSeenJob?: string }).__lastSeenJob ?? '');
  },
  /** Receipts in this tab's ledger database, read with bare IndexedDB (works before `ready()`); null if the database does not exist. */
  async rawLedgerReceipts() {
    return jsonSafe(await rawIdbReceipts());
  },
  /** The receipts this tab's Ledger holds. */
  async storedReceipts() {
    const p = node.payments;
    return p ? jsonSafe(await p.ledger.receipts()) : null;
  },
  /** The 'receipt' requests this tab answered, with whether the receipt was in IndexedDB when the ack went out. */
  receiptAcks: () => receiptAcks,
  /** Receipt messages seen on the 'receipts' gossip topic since the page loaded. */
  gossipReceiptsSeen: () => gossipReceiptsSeen,
  /**
   * Sends `target` (a peer id) a receipt over the mesh 'receipt' protocol that its requester did
   * not sign, and returns the ack. `kind`:
   * - `foreign-key`: requester `requester`, worker `worker`, signed by a fresh random key;
   * - `tampered`: `base` (a real receipt) with its cumulativeAmount raised, its signature kept;
   * - `high-s`: `base` with its signature turned into the malleable high-s twin (s → n − s).
   */
  async sendForgedReceipt(target: string, kind: 'foreign-key' | 'tampered' | 'high-s', o: { requester?: string; worker?: string; base?: { requester: string; worker: string; cumulativeAmount: string; cumulativeWork: string; chainId: string; verifyingContract: string; signature: string } }) {
    const mesh = meshOf();
    if (!mesh || !chain) throw new Error('payments are off or the node is not started');
    let r: SignedReceipt;
    if (kind === 'foreign-key') {
      const domain = { name: 'tabmesh', version: '1', chainId: BigInt(chain.chainId), verifyingContract: chain.addresses.settlement } as const;
      const receipt = { requester: o.requester as `0x${string}`, worker: o.worker as `0x${string}`, cumulativeAmount: 10n ** 18n, cumulativeWork: 3n };
      const sig = signReceipt(receipt, domain as never, secp256k1.utils.randomSecretKey());
      r = { ...receipt, chainId: domain.chainId, verifyingContract: domain.verifyingContract, signature: `0x${Array.from(sig, (b) => b.toString(16).padStart(2, '0')).join('')}` };
    } else {
      const b = o.base!;
      r = { requester: b.requester as `0x${string}`, worker: b.worker as `0x${string}`, cumulativeAmount: BigInt(b.cumulativeAmount), cumulativeWork: BigInt(b.cumulativeWork), chainId: BigInt(b.chainId), verifyingContract: b.verifyingContract as `0x${string}`, signature: b.signature as `0x${string}` };
      if (kind === 'tampered') r.cumulativeAmount += 10n ** 15n;
      else {
        const N = secp256k1.Point.CURVE().n;
        const sig = r.signature.slice(2);
        const s = BigInt('0x' + sig.slice(64, 128));
        const v = parseInt(sig.slice(128, 130), 16);
        r.signature = `0x${sig.slice(0, 64)}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`;
      }
    }
    const ack = await mesh.request(target, 'receipt', { data: encodeReceiptMessage(r) }, { timeoutMs: 15_000 });
    return jsonSafe({ ack, receipt: r });
  },
  stop: () => node.stop(),
};
(globalThis as Record<string, unknown>).jobsHarness = harness;

// ---- fuzzing ----

const randHex = (rnd: () => number) => Array.from({ length: 64 }, () => Math.floor(rnd() * 16).toString(16)).join('');

type BogusOutcome = { kind: string; accepted: boolean | null; reason: string; error: string | null };

async function outcome(kind: string, p: Promise<{ accepted: boolean; reason: string }>): Promise<BogusOutcome> {
  try {
    const a = await p;
    return { kind, accepted: a.accepted, reason: a.reason.slice(0, 120), error: null };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { kind, accepted: null, reason: String(err.message).slice(0, 120), error: err.code ?? err.name };
  }
}

/** Well-formed messages that lie: unknown job/unit/model, wrong input size, cancel of an unknown job. */
async function sendBogus(mesh: MeshNode, target: string, rnd: () => number): Promise<BogusOutcome[]> {
  const modelId = await harness.modelId();
  const out: BogusOutcome[] = [];
  const t = { timeoutMs: 15_000 };
  const known = lastJobId || (globalThis as { __lastSeenJob?: string }).__lastSeenJob || randHex(rnd);
  const sample = 784 * 4;
  for (let i = 0; i < 4; i++) {
    out.push(await outcome('unit-assign unknown model', mesh.request(target, 'unit-assign', { jobId: randHex(rnd), modelId: randHex(rnd), unitIndex: i, batch: 1, input: new Uint8Array(sample) }, t)));
    out.push(await outcome('unit-assign wrong input size', mesh.request(target, 'unit-assign', { jobId: randHex(rnd), modelId, unitIndex: i, batch: 2, input: new Uint8Array(sample + 4 * (1 + i)) }, t)));
    out.push(await outcome('unit-assign input not f32', mesh.request(target, 'unit-assign', { jobId: randHex(rnd), modelId, unitIndex: i, batch: 1, input: new Uint8Array(sample - 3) }, t)));
    out.push(await outcome('unit-assign batch vs input', mesh.request(target, 'unit-assign', { jobId: randHex(rnd), modelId, unitIndex: i, batch: 65_536, input: new Uint8Array(sample) }, t)));
    out.push(await outcome('unit-result unknown job', mesh.request(target, 'unit-result', { jobId: randHex(rnd), unitIndex: i, output: new Uint8Array(40), outputHash: randHex(rnd), claim: new Uint8Array(65) }, t)));
    out.push(await outcome('unit-result unknown unit', mesh.request(target, 'unit-result', { jobId: known, unitIndex: 1_000_000 + i, output: new Uint8Array(40), outputHash: randHex(rnd), claim: new Uint8Array(65) }, t)));
    await mesh.send(target, 'cancel', { jobId: randHex(rnd), reason: 'bogus cancel of an unknown job' }).catch(() => undefined);
    await mesh.send(target, 'job', { jobId: randHex(rnd), modelId: randHex(rnd), task: 'no-such-task', units: 1_000_000, pricePerUnit: 0n, replication: 16, deadline: 0 }).catch(() => undefined);
  }
  return out;
}

async function bogusResultsFor(mesh: MeshNode, target: string, jobId: string): Promise<BogusOutcome[]> {
  const rnd = prng(7);
  const t = { timeoutMs: 15_000 };
  const out: BogusOutcome[] = [];
  const output = new Uint8Array(40);
  const hash = await sha256Hex(output);
  const send = (kind: string, m: { jobId: string; unitIndex: number; output: Uint8Array; outputHash: string; claim: Uint8Array }) => outcome(kind, mesh.request(target, 'unit-result', m, t)).then((o) => void out.push(o));
  await send('unit-result unknown job', { jobId: randHex(rnd), unitIndex: 0, output, outputHash: hash, claim: new Uint8Array(65) });
  if (jobId) {
    await send('unit-result unknown unit', { jobId, unitIndex: 0xffffffff, output, outputHash: hash, claim: new Uint8Array(65) });
    await send('unit-result hash mismatch', { jobId, unitIndex: 0, output, outputHash: randHex(rnd), claim: new Uint8Array(65) });
    await send('unit-result claim not a signature', { jobId, unitIndex: 0, output, outputHash: hash, claim: new Uint8Array(65) });
    const big = new Uint8Array(12_345);
    await send('unit-result wrong size, garbage claim', { jobId, unitIndex: 1, output: big, outputHash: await sha256Hex(big), claim: Uint8Array.from({ length: 65 }, () => Math.floor(rnd() * 256)) });
  }
  return out;
}

// Learn the ids of jobs this tab hears about (contributors use it to build "known job" bogus messages).
const remember = () => {
  const m = meshOf();
  if (!m) return;
  m.subscribe('jobs', (msg) => {
    if (msg.type === 'job-announce') (globalThis as { __lastSeenJob?: string }).__lastSeenJob = msg.msg.jobId;
  });
};

if (params.get('relay') && params.get('autostart') !== '0') {
  (globalThis as Record<string, unknown>).jobsReady = harness.ready().then((s) => {
    try {
      remember();
    } catch (e) {
      H.errors.push('remember: ' + String(e));
    }
    return s;
  });
}
