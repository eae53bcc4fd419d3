/**
 * The requester's side of one job: splits the batch into units, assigns each unit to
 * `replication` distinct workers, reassigns on timeout, refusal or departure, verifies replicas,
 * and resolves with the verified answer.
 *
 * It talks to the network only through a {@link JobTransport}, so the whole state machine runs
 * in unit tests with scripted workers, and over libp2p in the browser (see TabmeshNode).
 *
 * Rules that keep the invariants:
 * - a unit never has two assignments to one worker; a worker is credited at most once per unit,
 *   only when its result is in the winning cluster;
 * - a unit whose worker left, timed out or refused is offered to another worker; nothing is lost
 *   while any eligible worker remains before the deadline;
 * - a result is only counted if its claim recovers to the operator address the worker advertised
 *   (not its payout address, which only says where receipts pay); a
 *   second, different claim for the same unit from the same worker is kept as evidence and voids
 *   that worker's credit for the unit.
 *
 * Pacing: a worker gets up to its slots at once, and {@link UNITS_AHEAD} more only shortly before
 * it is expected to free a slot (its service time per unit and the time an assignment takes to be
 * acknowledged are measured as the job runs). The next unit's input then crosses the network while
 * the previous one computes, without waiting a whole unit in the worker's queue.
 */
import type { MessageOf } from '../mesh/messages.ts';
import { recoverClaimSigner } from './claim.ts';
import { ClaimError, JobCancelledError, JobDeadlineError, NoWorkersError } from './errors.ts';
import type { EquivocationEvidence, JobHandle, JobProgress, JobResult, UnitProgress, UnitState, WorkerOffer, WorkerTally } from './types.ts';
import { UNIT_STATES, UNITS_AHEAD } from './types.ts';
import { argmaxRows, decideUnit, outputsAgree, softmaxRows, type Replica } from './verification.ts';

type Ack = MessageOf<'ack'>;

/** How a JobRun reaches workers. */
export interface JobTransport {
  /** Workers it may assign to now (direct peers that advertise free slots). */
  offers(): WorkerOffer[];
  assign(peer: string, msg: MessageOf<'unit-assign'>, opts: { signal: AbortSignal; timeoutMs: number }): Promise<Ack>;
  cancel(peer: string, jobId: string, reason: string): Promise<void>;
  /** Tell the network about the job (gossip). Best effort. */
  announce(msg: MessageOf<'job-announce'>): Promise<void>;
}

/** A validated spec with every default filled in. */
export interface ResolvedJobSpec {
  inputs: Float32Array;
  samples: number;
  unitSize: number;
  replication: number;
  pricePerUnit: bigint;
  spotCheck: number;
  deadlineMs: number;
  labels?: Uint8Array;
}

export interface JobRunInit {
  jobId: string;
  spec: ResolvedJobSpec;
  model: { modelId: string; classes: number; sampleSize: number; task: string };
  transport: JobTransport;
  /** This node's peer id: never assigned to itself. */
  self: string;
  /** A worker that acknowledged but has not returned a result in this long is replaced. Default 30 s. */
  unitTimeoutMs?: number;
  /** How long a worker may take to acknowledge (it fetches the model first). Default 30 s. */
  assignTimeoutMs?: number;
  /** Extra replicas a unit may take beyond `replication` when replicas disagree. Default 3. */
  maxExtraReplicas?: number;
  /** Runs a unit on the requester's own GPU (spot checks). */
  localCheck?: (input: Float32Array, batch: number) => Promise<Float32Array>;
  log?: (line: string) => void;
}

type AssignmentStatus = 'assigning' | 'running' | 'returned' | 'failed' | 'timed-out';

interface Assignment {
  peer: string;
  status: AssignmentStatus;
  timer: ReturnType<typeof setTimeout> | null;
  abort: AbortController;
  assignedAt: number;
  ackedAt: number | null;
}

/** What the requester has measured of one worker during this job. */
interface Pace {
  /** Smoothed time from a unit being able to start on the worker (acked, previous result in) to its result, ms. */
  serviceMs: number | null;
  /** Smoothed time from sending an assignment to its ack, once the worker holds the model, ms. */
  leadMs: number | null;
  /** When its last result arrived (ms epoch; 0: none yet). */
  lastResultAt: number;
  /** Its live assignments. */
  live: Set<Assignment>;
}

const smooth = (prev: number | null, sample: number): number => (prev === null ? sample : prev + 0.5 * (sample - prev));

interface Unit {
  index: number;
  start: number;
  batch: number;
  state: UnitState;
  assignments: Map<string, Assignment>;
  replicas: Replica[];
  /** First claim per worker, for equivocation detection. */
  claims: Map<string, { outputHash: string; signature: Uint8Array }>;
  /** Workers whose credit for this unit is void (equivocated). */
  void: Set<string>;
  needed: number;
  attempts: number;
  spotCheck: boolean;
  reference?: Float32Array;
  referencePending: boolean;
  logits?: Float32Array;
  firstAssignedAt: number | null;
  verifiedAt: number | null;
}

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
};

/** Deterministic per-unit draw in [0,1) for spot checks: the same job re-run checks the same units. */
function unitDraw(jobId: string, index: number): number {
  let h = 2166136261 ^ index;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ jobId.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1_000_000) / 1_000_000;
}

export class JobRun extends EventTarget implements JobHandle {
  readonly id: string;
  readonly result: Promise<JobResult>;
  readonly #init: JobRunInit;
  readonly #units: Unit[];
  readonly #tally = new Map<string, WorkerTally>();
  readonly #inflight = new Map<string, number>();
  /** Workers that refused or failed recently: skipped until the time given. */
  readonly #backoff = new Map<string, number>();
  readonly #evidence: EquivocationEvidence[] = [];
  #mismatches = 0;
  #everSawWorker = false;
  #finished = false;
  #started = 0;
  #deadline: ReturnType<typeof setTimeout> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  readonly #pace = new Map<string, Pace>();
  #paceTimer: ReturnType<typeof setTimeout> | null = null;
  #paceAt = Infinity;
  #resolve!: (r: JobResult) => void;
  #reject!: (e: Error) => void;

  constructor(init: JobRunInit) {
    super();
    this.#init = init;
    this.id = init.jobId;
    this.result = new Promise<JobResult>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    // A caller that only listens to events must not see an unhandled rejection.
    this.result.catch(() => undefined);
    const { samples, unitSize, replication, spotCheck } = init.spec;
    const n = Math.ceil(samples / unitSize);
    this.#units = Array.from({ length: n }, (_, index) => ({
      index,
      start: index * unitSize,
      batch: Math.min(unitSize, samples - index * unitSize),
      state: 'queued' as UnitState,
      assignments: new Map(),
      replicas: [],
      claims: new Map(),
      void: new Set(),
      needed: replication,
      attempts: 0,
      spotCheck: spotCheck > 0 && !!init.localCheck && unitDraw(init.jobId, index) < spotCheck,
      referencePending: false,
      firstAssignedAt: null,
      verifiedAt: null,
    }));
  }

  get finished(): boolean {
    return this.#finished;
  }

  start(): void {
    this.#started = Date.now();
    this.#deadline = setTimeout(() => this.#expire(), this.#init.spec.deadlineMs);
    const { jobId, spec, model } = this.#init;
    void this.#init.transport
      .announce({ jobId, modelId: model.modelId, task: model.task, units: this.#units.length, pricePerUnit: spec.pricePerUnit, replication: spec.replication, deadline: this.#started + spec.deadlineMs })
      .catch(() => undefined);
    for (const u of this.#units) if (u.spotCheck) void this.#runReference(u);
    this.#pump();
  }

  progress(): JobProgress {
    const counts = Object.fromEntries(UNIT_STATES.map((s) => [s, 0])) as Record<UnitState, number>;
    const units: UnitProgress[] = this.#units.map((u) => {
      counts[u.state]++;
      return { index: u.index, state: u.state, workers: [...u.assignments.keys()], attempts: u.attempts };
    });
    return { jobId: this.id, units, counts, done: this.#finished };
  }

  async cancel(): Promise<void> {
    if (this.#finished) return;
    const peers = new Set<string>();
    for (const u of this.#units) {
      for (const a of u.assignments.values()) {
        if (a.status === 'assigning' || a.status === 'running') peers.add(a.peer);
        this.#endAssignment(u, a, 'failed');
      }
      if (u.state !== 'done') u.state = 'failed';
    }
    this.#finish(new JobCancelledError(this.id));
    await Promise.all([...peers].map((p) => this.#init.transport.cancel(p, this.id, 'cancelled by requester').catch(() => undefined)));
  }

  /** A worker's direct link is gone: its live assignments go to other workers. */
  workerLeft(peer: string): void {
    for (const u of this.#units) {
      const a = u.assignments.get(peer);
      if (a && (a.status === 'assigning' || a.status === 'running')) {
        this.#log(`unit ${u.index}: worker ${peer.slice(-6)} left; reassigning`);
        this.#endAssignment(u, a, 'failed');
      }
    }
    this.#pump();
  }

  /** Workers or their capabilities changed: try to place queued units. */
  workersChanged(): void {
    this.#pump();
  }

  /**
   * A worker's `unit-result` for this job. Returns the ack to send back. Never throws for bad
   * input: a malformed result is refused with a reason and changes nothing.
   */
  onResult(peer: string, msg: MessageOf<'unit-result'>, outputHash: string): Ack {
    const u = this.#units[msg.unitIndex];
    if (!u) return { accepted: false, reason: `unit ${msg.unitIndex} is not part of this job` };
    const a = u.assignments.get(peer);
    if (!a) return { accepted: false, reason: `unit ${msg.unitIndex} was not assigned to you` };
    if (outputHash !== msg.outputHash) return { accepted: false, reason: 'outputHash does not match the output' };
    const offer = this.#offerOf(peer);
    let signer: string;
    try {
      signer = recoverClaimSigner({ jobId: this.id, unitIndex: msg.unitIndex, outputHash: msg.outputHash }, msg.claim);
    } catch (e) {
      return { accepted: false, reason: (e as ClaimError).message };
    }
    if (!offer || signer !== offer.operator.toLowerCase()) return { accepted: false, reason: `claim is signed by ${signer}, not the operator address this worker advertised` };
    const prior = u.claims.get(peer);
    if (prior) {
      if (prior.outputHash !== msg.outputHash) {
        // Two valid signatures over different outputs for one unit: provable equivocation.
        this.#evidence.push({ jobId: this.id, unitIndex: u.index, worker: peer, signer, claims: [prior, { outputHash: msg.outputHash, signature: msg.claim.slice() }] });
        u.void.add(peer);
        u.replicas = u.replicas.filter((r) => r.worker !== peer);
        this.#log(`unit ${u.index}: worker ${peer.slice(-6)} equivocated; evidence kept`);
        this.#decide(u);
        return { accepted: false, reason: 'conflicting claim for this unit: kept as equivocation evidence' };
      }
      return { accepted: true, reason: 'duplicate' };
    }
    const { classes } = this.#init.model;
    const want = u.batch * classes * 4;
    if (msg.output.byteLength !== want) return { accepted: false, reason: `output is ${msg.output.byteLength} bytes, unit ${u.index} needs ${want}` };
    const logits = new Float32Array(msg.output.slice().buffer);
    if (!logits.every(Number.isFinite)) return { accepted: false, reason: 'output holds a non-finite value' };
    u.claims.set(peer, { outputHash: msg.outputHash, signature: msg.claim.slice() });
    if (u.state === 'done') {
      // Late replica (a timed-out worker finished after all): checked, never credited.
      if (!outputsAgree(logits, u.logits as Float32Array, classes)) {
        this.#mismatches++;
        this.#tallyOf(peer).rejected++;
      }
      this.#endAssignment(u, a, 'returned');
      return { accepted: false, reason: 'unit already verified' };
    }
    if (u.void.has(peer)) return { accepted: false, reason: 'your credit for this unit is void' };
    this.#endAssignment(u, a, 'returned');
    u.replicas.push({ worker: peer, logits });
    this.#decide(u);
    this.#pump();
    return { accepted: true, reason: '' };
  }

  #decide(u: Unit): void {
    if (u.state === 'done' || this.#finished) return;
    if (u.spotCheck && !u.reference) {
      if (u.replicas.length > 0) u.state = 'verifying';
      return;
    }
    const v = decideUnit(u.replicas, this.#init.model.classes, this.#init.spec.replication, u.reference);
    if (v.kind === 'accepted') {
      u.state = 'done';
      u.logits = v.logits;
      u.verifiedAt = Date.now();
      for (const w of v.winners) this.#tallyOf(w).accepted++;
      for (const w of v.losers) {
        const t = this.#tallyOf(w);
        t.rejected++;
        if (u.reference) t.spotCheckFailed = (t.spotCheckFailed ?? 0) + 1;
        this.#mismatches++;
      }
      for (const a of u.assignments.values()) if (a.status === 'assigning' || a.status === 'running') this.#endAssignment(u, a, 'failed');
      this.#emitProgress();
      if (this.#units.every((x) => x.state === 'done')) this.#complete();
      return;
    }
    const maxReplicas = this.#init.spec.replication + (this.#init.maxExtraReplicas ?? 3);
    // Disagreement: ask one more worker than the results in hand, so a majority can form.
    // Disagreement: ask for as many more replicas as the largest cluster lacks, so a majority can form.
    if (v.disagreement) u.needed = Math.min(maxReplicas, Math.max(u.needed, u.replicas.length + this.#init.spec.replication - v.largest));
    u.state = u.replicas.length > 0 ? 'verifying' : u.state;
    this.#emitProgress();
  }

  async #runReference(u: Unit): Promise<void> {
    const check = this.#init.localCheck;
    if (!check || u.referencePending) return;
    u.referencePending = true;
    try {
      const { inputs } = this.#init.spec;
      const size = this.#init.model.sampleSize;
      u.reference = await check(inputs.subarray(u.start * size, (u.start + u.batch) * size), u.batch);
    } catch (e) {
      // The requester's GPU failed: the unit is verified by replicas alone.
      this.#log(`unit ${u.index}: spot check failed (${(e as Error).message}); relying on replicas`);
      u.spotCheck = false;
    }
    this.#decide(u);
    this.#pump();
  }

  #live(u: Unit): number {
    let n = 0;
    for (const a of u.assignments.values()) if (a.status === 'assigning' || a.status === 'running') n++;
    return n;
  }

  #pump(): void {
    if (this.#finished) return;
    const now = Date.now();
    const offers = this.#init.transport.offers().filter((o) => o.peer !== this.#init.self && o.slots > 0 && o.priceFloor <= this.#init.spec.pricePerUnit);
    if (offers.length > 0) this.#everSawWorker = true;
    let blocked = false;
    let wakeAt = Infinity;
    const room = (o: WorkerOffer): boolean => {
      const n = this.#inflight.get(o.peer) ?? 0;
      if (n < o.slots) return true;
      if (n >= o.slots + UNITS_AHEAD) return false;
      const at = this.#aheadAt(o.peer);
      if (at === null) return false;
      if (at <= now) return true;
      wakeAt = Math.min(wakeAt, at);
      return false;
    };
    for (const u of this.#units) {
      if (u.state === 'done' || u.state === 'failed') continue;
      while (u.replicas.length + this.#live(u) < u.needed) {
        const candidates = offers.filter((o) => !u.assignments.has(o.peer) && (this.#backoff.get(o.peer) ?? 0) <= now && room(o));
        if (candidates.length === 0) {
          blocked = true;
          break;
        }
        candidates.sort((a, b) => (this.#inflight.get(a.peer) ?? 0) / a.slots - (this.#inflight.get(b.peer) ?? 0) / b.slots || b.gflops - a.gflops || (a.peer < b.peer ? -1 : 1));
        this.#assign(u, candidates[0] as WorkerOffer);
      }
    }
    // Units still short of workers: look again soon (a backoff expires, a slot frees up, a peer arrives).
    if (blocked && !this.#retry) {
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.#pump();
      }, 250);
    }
    // ...and when a busy worker is due to take its next unit ahead.
    if (blocked && wakeAt < this.#paceAt) {
      if (this.#paceTimer) clearTimeout(this.#paceTimer);
      this.#paceAt = wakeAt;
      this.#paceTimer = setTimeout(() => {
        this.#paceTimer = null;
        this.#paceAt = Infinity;
        this.#pump();
      }, Math.max(0, wakeAt - Date.now()));
    }
  }

  #paceOf(peer: string): Pace {
    let p = this.#pace.get(peer);
    if (!p) this.#pace.set(peer, (p = { serviceMs: null, leadMs: null, lastResultAt: 0, live: new Set() }));
    return p;
  }

  /**
   * When `peer`, holding all the units its slots allow, should get its next unit ahead: the
   * expected end of its earliest unit (started when acknowledged or when its previous result came,
   * whichever is later, plus its service time) less 1.5 × the time an assignment takes to be
   * acknowledged, less 5 ms. Null while that is unknown (no result from it yet, or an
   * assignment not yet acknowledged).
   */
  #aheadAt(peer: string): number | null {
    const p = this.#pace.get(peer);
    if (!p || p.serviceMs === null) return null;
    let earliest = Infinity;
    for (const a of p.live) {
      if (a.ackedAt === null) return null;
      earliest = Math.min(earliest, Math.max(a.ackedAt, p.lastResultAt) + p.serviceMs);
    }
    if (earliest === Infinity) return null;
    return earliest - 1.5 * (p.leadMs ?? 0) - 5;
  }

  #assign(u: Unit, o: WorkerOffer): void {
    const a: Assignment = { peer: o.peer, status: 'assigning', timer: null, abort: new AbortController(), assignedAt: Date.now(), ackedAt: null };
    u.assignments.set(o.peer, a);
    this.#paceOf(o.peer).live.add(a);
    u.attempts++;
    u.firstAssignedAt ??= Date.now();
    if (u.state === 'queued') u.state = 'fetching-model';
    this.#inflight.set(o.peer, (this.#inflight.get(o.peer) ?? 0) + 1);
    this.#tallyOf(o.peer).assigned++;
    const { inputs } = this.#init.spec;
    const size = this.#init.model.sampleSize;
    const slice = inputs.subarray(u.start * size, (u.start + u.batch) * size);
    const input = new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength);
    const assignTimeoutMs = this.#init.assignTimeoutMs ?? 30_000;
    this.#emitProgress();
    this.#init.transport
      .assign(o.peer, { jobId: this.id, modelId: this.#init.model.modelId, unitIndex: u.index, batch: u.batch, input }, { signal: a.abort.signal, timeoutMs: assignTimeoutMs })
      .then(
        (ack) => {
          if (a.status !== 'assigning') return;
          if (!ack.accepted) {
            this.#log(`unit ${u.index}: ${o.peer.slice(-6)} refused (${ack.reason})`);
            this.#backoff.set(o.peer, Date.now() + 1000);
            this.#endAssignment(u, a, 'failed', true);
            this.#pump();
            return;
          }
          a.status = 'running';
          a.ackedAt = Date.now();
          const pace = this.#paceOf(o.peer);
          // The first ack includes the model fetch: the lead is measured once the worker holds it.
          if (pace.lastResultAt > 0) pace.leadMs = smooth(pace.leadMs, a.ackedAt - a.assignedAt);
          if (u.state === 'fetching-model') u.state = 'running';
          a.timer = setTimeout(() => {
            if (a.status !== 'running') return;
            this.#log(`unit ${u.index}: ${o.peer.slice(-6)} silent for ${this.#init.unitTimeoutMs ?? 30_000} ms; reassigning`);
            this.#endAssignment(u, a, 'timed-out');
            this.#pump();
          }, this.#init.unitTimeoutMs ?? 30_000);
          this.#emitProgress();
        },
        (e: Error) => {
          if (a.status !== 'assigning') return;
          this.#log(`unit ${u.index}: assigning to ${o.peer.slice(-6)} failed (${e.name}: ${e.message})`);
          this.#backoff.set(o.peer, Date.now() + 1000);
          this.#endAssignment(u, a, 'failed', true);
          this.#pump();
        },
      );
  }

  /**
   * Ends a live assignment. `forget` removes a refused assignment altogether, so the worker may
   * be asked again for this unit later (it did no work on it).
   */
  #endAssignment(u: Unit, a: Assignment, status: AssignmentStatus, forget = false): void {
    const wasLive = a.status === 'assigning' || a.status === 'running';
    if (a.timer) clearTimeout(a.timer);
    a.timer = null;
    if (wasLive) {
      this.#inflight.set(a.peer, Math.max(0, (this.#inflight.get(a.peer) ?? 0) - 1));
      const pace = this.#paceOf(a.peer);
      pace.live.delete(a);
      if (status === 'returned' && a.ackedAt !== null) {
        const now = Date.now();
        pace.serviceMs = smooth(pace.serviceMs, now - Math.max(a.ackedAt, pace.lastResultAt));
        pace.lastResultAt = now;
      }
      if (status !== 'returned') a.abort.abort();
    }
    // A timed-out worker keeps its entry: its late result still counts as a replica.
    if (wasLive || a.status === 'timed-out') a.status = status;
    if (forget) {
      u.assignments.delete(a.peer);
      const t = this.#tally.get(a.peer);
      if (t) t.assigned--;
    }
    if (u.state !== 'done' && u.state !== 'failed') {
      if (u.replicas.length > 0) u.state = 'verifying';
      else if (this.#live(u) === 0) u.state = 'queued';
    }
  }

  #offerOf(peer: string): WorkerOffer | undefined {
    return this.#init.transport.offers().find((o) => o.peer === peer) ?? this.#knownOffers.get(peer);
  }

  /** Offers seen when assigning: a worker that stopped advertising may still return its result. */
  readonly #knownOffers = new Map<string, WorkerOffer>();

  #tallyOf(peer: string): WorkerTally {
    let t = this.#tally.get(peer);
    if (!t) {
      t = { assigned: 0, accepted: 0, rejected: 0 };
      this.#tally.set(peer, t);
      const o = this.#init.transport.offers().find((x) => x.peer === peer);
      if (o) {
        this.#knownOffers.set(peer, o);
        t.operator = o.operator;
        t.payout = o.payout;
      }
    }
    return t;
  }

  #emitProgress(): void {
    this.dispatchEvent(new CustomEvent('progress', { detail: this.progress() }));
  }

  #expire(): void {
    if (this.#finished) return;
    const left = this.#units.filter((u) => u.state !== 'done');
    for (const u of left) {
      for (const a of u.assignments.values()) this.#endAssignment(u, a, 'failed');
      u.state = 'failed';
    }
    this.#finish(this.#everSawWorker ? new JobDeadlineError(this.id, left.map((u) => u.index)) : new NoWorkersError(this.id));
  }

  #complete(): void {
    const { classes } = this.#init.model;
    const { samples, labels } = this.#init.spec;
    const logits = new Float32Array(samples * classes);
    for (const u of this.#units) logits.set(u.logits as Float32Array, u.start * classes);
    const argmax = argmaxRows(logits, classes);
    const credits: Record<string, number> = {};
    const perWorker: Record<string, WorkerTally> = {};
    for (const [peer, t] of this.#tally) {
      perWorker[peer] = { ...t };
      if (t.accepted > 0) credits[peer] = t.accepted;
    }
    let accuracy: number | undefined;
    if (labels) {
      let right = 0;
      for (let i = 0; i < samples; i++) if (argmax[i] === labels[i]) right++;
      accuracy = right / samples;
    }
    const wallMs = Date.now() - this.#started;
    const lat = this.#units.map((u) => (u.verifiedAt as number) - (u.firstAssignedAt ?? this.#started));
    const result: JobResult = {
      jobId: this.id,
      argmax,
      probs: softmaxRows(logits, classes),
      classes,
      ...(accuracy !== undefined ? { accuracy } : {}),
      credits,
      perWorker,
      mismatchesDetected: this.#mismatches,
      equivocations: this.#evidence.length,
      evidence: this.#evidence.slice(),
      lostUnits: 0,
      units: this.#units.length,
      unitsVerified: this.#units.length,
      spotChecked: this.#units.filter((u) => u.spotCheck && u.reference).length,
      unitsPerSecond: this.#units.length / Math.max(wallMs / 1000, 1e-3),
      latencyMs: { p50: percentile(lat, 50), p95: percentile(lat, 95) },
      wallMs,
    };
    this.#finish(null, result);
  }

  #finish(err: Error | null, result?: JobResult): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#deadline) clearTimeout(this.#deadline);
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#paceTimer) clearTimeout(this.#paceTimer);
    for (const u of this.#units) for (const a of u.assignments.values()) if (a.timer) clearTimeout(a.timer);
    this.#emitProgress();
    if (err) this.#reject(err);
    else this.#resolve(result as JobResult);
  }

  #log(line: string): void {
    this.#init.log?.(`job ${this.id.slice(0, 8)}: ${line}`);
  }
}
