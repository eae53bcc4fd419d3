/**
 * One browser node: owns the tab's MeshNode, its compute worker, its model cache and the jobs it
 * runs or requests. Everything a page does with the network goes through here (the Svelte app,
 * the in-page client API, the widget later).
 *
 * Lifecycle: `start()` brings the mesh up (the compute worker starts only when the tab
 * contributes or spot-checks); `stop()` cancels this tab's jobs, stops contributing and leaves
 * the mesh. Events: `peers` (a peer linked, left, or changed its advertised capability: read
 * `peers()`), `relay` (detail: `{ reachable }`, the relay connection opened or closed: read
 * `relayReachable`), `contributor` (ContributorInfo changed), `job` (detail: JobProgress of a job
 * this tab requested).
 *
 * @example
 * const node = new TabmeshNode();                 // relay from ?relay= or VITE_TABMESH_RELAY
 * await node.start();
 * node.addEventListener('peers', () => console.log(node.peers().filter((p) => p.capability?.freeSlots).length, 'contributors'));
 * node.addEventListener('relay', () => console.log('relay reachable:', node.relayReachable));
 * await node.startContributing();                // in contributor tabs (one slot: one compute worker)
 * const job = node.submit({ model: { url: '/models/digits-cnn/manifest.json' }, inputs, samples: 100 });
 * job.addEventListener('progress', (e) => console.log((e as CustomEvent).detail.counts));
 * const { argmax } = await job.result;
 */
import { MeshNode, sha256Hex, type MeshNodeOptions, type MeshPeer, type MessageOf } from '../mesh/index.ts';
import { ComputeWorker, type ComputeWorkerInit } from './compute-worker.ts';
import { ClaimKey } from '../jobs/claim.ts';
import { InvalidJobError, JobCancelledError, ModelFetchError } from '../jobs/errors.ts';
import { JobRun, type ResolvedJobSpec } from '../jobs/job-run.ts';
import { IdbBlobStore, MemoryBlobStore, ModelStore, type ModelBundle } from '../jobs/model-store.ts';
import type { ContributorInfo, JobHandle, JobProgress, JobResult, JobSpec, UnitState, WorkerOffer } from '../jobs/types.ts';
import { UNIT_STATES } from '../jobs/types.ts';
import { UnitExecutor } from '../jobs/unit-executor.ts';
import { validateJobSpec } from '../jobs/validate-job-spec.ts';
import { chainConfigFromEnv, type ChainConfig } from '../chain/config.ts';
import { EscrowUnavailableError, Payments, StakeUnavailableError, type PaymentsInit } from './payments.ts';
import { receiptCredits, workerOffers } from './offers.ts';
import type { SignedReceipt } from '../ledger/index.ts';

export interface TabmeshNodeInit {
  /** Relay multiaddr(s); default: `?relay=` or `import.meta.env.VITE_TABMESH_RELAY` (see src/mesh). */
  relay?: string;
  iceServers?: RTCIceServer[];
  /** Test-only fault injection: a contributor that flips its outputs. */
  faults?: { corruptResults?: boolean };
  log?: (line: string) => void;
  /** Passed through to the MeshNode. */
  mesh?: Partial<MeshNodeOptions>;
  /** Passed through to the ComputeWorker. */
  compute?: ComputeWorkerInit;
  /** Requester: reassign a unit whose worker acknowledged but has not answered in this long, ms. Default 30 000. */
  unitTimeoutMs?: number;
  /** Model cache; default IndexedDB where it exists, else memory. */
  models?: ModelStore;
  /**
   * The chain this tab is paid on (src/chain/config.ts); default `VITE_TABMESH_CHAIN`. `null`: no
   * payments (the tab still computes and verifies, receipts are not issued; tests of the mesh alone).
   */
  chain?: ChainConfig | null;
  /** Payments options (identity profile, stores, periods) passed to src/node/payments.ts. */
  payments?: Omit<PaymentsInit, 'chain' | 'mesh' | 'log'>;
}

/** Detail of TabmeshNode's `relay` event. */
export interface RelayEventDetail {
  /** Whether the relay connection is open now (same as `node.relayReachable`). */
  reachable: boolean;
}

export interface ContributeOptions {
  /**
   * Units computed at once, advertised as `freeSlots`. Default 1: the tab has one compute worker,
   * which runs one unit at a time, so a second slot would only make units queue behind each other.
   * The tab also accepts `UNITS_AHEAD` (1) unit more, which requesters send just before a slot
   * frees, so its input arrives while the previous unit computes.
   */
  slots?: number;
  /** Lowest price per unit accepted. Default 0. */
  priceFloor?: bigint;
}

/**
 * spotCheck 0.02: the requester re-runs 2% of units on its own GPU. The simulator finds colluding
 * replicas profitable below 0.81% and lazy answers below 0.79% (src/economy/README.md); a caught
 * worker forfeits the job's pay (offers.ts receiptCredits).
 */
const DEFAULTS = { unitSize: 50, replication: 2, pricePerUnit: 10n ** 15n, spotCheck: 0.02, deadlineMs: 10 * 60_000 };

function randomHex32(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The handle `submit()` returns at once; the JobRun behind it starts once the model is published. */
class SubmittedJob extends EventTarget implements JobHandle {
  readonly id: string;
  readonly result: Promise<JobResult>;
  run: JobRun | null = null;
  /** The receipts paid for this job, once it resolved and payments are on. */
  paid: Promise<SignedReceipt[]> | null = null;
  #cancelled = false;
  readonly #units: number;
  #failed = false;
  #reject!: (e: Error) => void;
  #resolve!: (r: JobResult) => void;

  constructor(id: string, units: number) {
    super();
    this.id = id;
    this.#units = units;
    this.result = new Promise<JobResult>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    this.result.catch(() => undefined);
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  attach(run: JobRun): void {
    this.run = run;
    run.addEventListener('progress', (e) => this.dispatchEvent(new CustomEvent('progress', { detail: (e as CustomEvent<JobProgress>).detail })));
    run.result.then(this.#resolve, this.#reject);
  }

  fail(e: Error): void {
    this.#failed = true;
    this.#reject(e);
    this.dispatchEvent(new CustomEvent('progress', { detail: this.progress() }));
  }

  progress(): JobProgress {
    if (this.run) return this.run.progress();
    const state: UnitState = this.#failed || this.#cancelled ? 'failed' : 'queued';
    const counts = Object.fromEntries(UNIT_STATES.map((s) => [s, 0])) as Record<UnitState, number>;
    counts[state] = this.#units;
    return { jobId: this.id, units: Array.from({ length: this.#units }, (_, index) => ({ index, state, workers: [], attempts: 0 })), counts, done: this.#failed || this.#cancelled };
  }

  async cancel(): Promise<void> {
    this.#cancelled = true;
    if (this.run) return this.run.cancel();
    this.fail(new JobCancelledError(this.id));
  }
}

export class TabmeshNode extends EventTarget {
  readonly #init: TabmeshNodeInit;
  /** Claims are signed with the tab's persistent identity once payments start; ephemeral without a chain. */
  #key = ClaimKey.generate();
  #payments: Payments | null = null;
  readonly #models: ModelStore;
  readonly #jobs = new Map<string, SubmittedJob>();
  #mesh: MeshNode | null = null;
  #compute: ComputeWorker | null = null;
  #computeReady: ReturnType<ComputeWorker['start']> | null = null;
  #executor: UnitExecutor | null = null;
  #contributing = false;
  /** Models loaded for spot checks, per compute worker (a new worker starts empty). */
  readonly #localModels = new WeakMap<ComputeWorker, Map<string, Promise<void>>>();
  #contributeOpts: Required<ContributeOptions> = { slots: 1, priceFloor: 0n };
  #adapter: ContributorInfo['adapter'];
  #score: ContributorInfo['score'];

  constructor(init: TabmeshNodeInit = {}) {
    super();
    this.#init = init;
    this.#models = init.models ?? new ModelStore(typeof indexedDB !== 'undefined' ? new IdbBlobStore() : new MemoryBlobStore());
  }

  get peerId(): string {
    return this.#mesh?.peerId ?? '';
  }

  /** The tab's MeshNode (dashboards, tests). */
  get mesh(): MeshNode {
    if (!this.#mesh) throw new Error('TabmeshNode is not started');
    return this.#mesh;
  }

  get started(): boolean {
    return this.#mesh?.started ?? false;
  }

  /**
   * Whether the relay connection is open now (false before start and after stop). Without it, new
   * tabs cannot find this one, but direct links that exist keep working; the mesh keeps retrying.
   * The `relay` event fires when it changes.
   */
  get relayReachable(): boolean {
    return this.#mesh?.relayConnected() ?? false;
  }

  /** The tab's payments (identity, ledger, chain), or null when no chain is configured. */
  get payments(): Payments | null {
    return this.#payments;
  }

  /** The operator address: this tab's claims are signed with it and its stake makes the tab eligible (its identity's address). */
  get address(): string {
    return this.#key.address;
  }

  /** Where receipts for this tab's work pay: a wallet linked with `payments.connectWallet`, else {@link address}. */
  get payoutAddress(): string {
    return this.#payments ? this.#payments.identity.payoutAddress.toLowerCase() : this.#key.address;
  }

  async start(): Promise<void> {
    if (this.#mesh) return;
    const log = this.#init.log;
    const mesh = new MeshNode({
      ...(this.#init.relay ? { relays: this.#init.relay } : {}),
      ...(this.#init.iceServers ? { iceServers: this.#init.iceServers } : {}),
      ...(log ? { log } : {}),
      ...this.#init.mesh,
    });
    this.#mesh = mesh;
    mesh.handle('unit-assign', (msg, peer, ctx) => (this.#executor && this.#contributing ? this.#executor.onAssign(msg, peer, ctx.signal) : { accepted: false, reason: 'not contributing' }));
    mesh.handle('unit-result', async (msg, peer) => {
      const run = this.#jobs.get(msg.jobId)?.run;
      if (!run || run.finished) return { accepted: false, reason: 'unknown or finished job' };
      return run.onResult(peer, msg, await sha256Hex(msg.output));
    });
    mesh.handle('cancel', (msg, peer) => void this.#executor?.onCancel(msg.jobId, peer));
    // Announcements need no action: a worker learns everything it needs from the assignment.
    mesh.handle('job', () => undefined);
    mesh.subscribe('jobs', (m, from) => {
      if (m.type === 'cancel') this.#executor?.onCancel(m.msg.jobId, from);
    });
    mesh.serveBlobs(this.#models.serve);
    mesh.on('peer:connect', () => {
      for (const j of this.#jobs.values()) j.run?.workersChanged();
      this.dispatchEvent(new Event('peers'));
    });
    mesh.on('peer:disconnect', (p) => {
      for (const j of this.#jobs.values()) j.run?.workerLeft(p.id);
      this.dispatchEvent(new Event('peers'));
    });
    // A peer that starts contributing (or frees a slot) can take queued units now.
    mesh.on('peer:capability', () => {
      for (const j of this.#jobs.values()) j.run?.workersChanged();
      this.dispatchEvent(new Event('peers'));
    });
    mesh.on('relay', ({ connected }) => this.dispatchEvent(new CustomEvent<RelayEventDetail>('relay', { detail: { reachable: connected } })));
    await mesh.start();
    const chain = this.#init.chain === undefined ? chainConfigFromEnv() : this.#init.chain;
    if (chain) {
      const payments = new Payments({ ...this.#init.payments, chain, mesh, ...(log ? { log } : {}) });
      await payments.start();
      this.#payments = payments;
      this.#key = ClaimKey.fromSigner(payments.identity);
      payments.addEventListener('change', () => this.dispatchEvent(new Event('payments')));
      payments.addEventListener('eligibility', () => {
        for (const j of this.#jobs.values()) j.run?.workersChanged();
      });
      // A wallet linked (or unlinked) as payout address: requesters must learn where to pay.
      payments.addEventListener('payout', () => void this.#advertise());
    }
    await this.#advertise();
  }

  async stop(): Promise<void> {
    for (const j of this.#jobs.values()) if (!j.run?.finished) await j.cancel().catch(() => undefined);
    this.#executor?.stop();
    this.#contributing = false;
    this.#compute?.stop();
    this.#compute = null;
    this.#computeReady = null;
    const mesh = this.#mesh;
    const wasReachable = this.relayReachable;
    this.#mesh = null;
    await mesh?.stop();
    if (wasReachable) this.dispatchEvent(new CustomEvent<RelayEventDetail>('relay', { detail: { reachable: false } }));
  }

  peers(): MeshPeer[] {
    return this.#mesh?.peers() ?? [];
  }

  // ---------------------------------------------------------------- contributor

  async startContributing(opts: ContributeOptions = {}): Promise<ContributorInfo> {
    const slots = opts.slots ?? 1;
    if (!Number.isInteger(slots) || slots < 1 || slots > 64) throw new RangeError(`slots must be an integer 1..64, got ${slots}`);
    const priceFloor = opts.priceFloor ?? 0n;
    if (typeof priceFloor !== 'bigint' || priceFloor < 0n) throw new RangeError('priceFloor must be a bigint ≥ 0');
    this.#contributeOpts = { slots, priceFloor };
    // Requesters only assign units to workers whose stake they see on-chain: bond it first.
    if (this.#payments) {
      try {
        await this.#payments.ensureStake();
      } catch (e) {
        throw new StakeUnavailableError(`cannot bond the minimum stake: ${(e as Error).message}`);
      }
    }
    const compute = await this.#ensureCompute();
    this.#executor?.stop();
    this.#executor = new UnitExecutor({
      compute,
      key: this.#key,
      slots,
      fetchModel: (modelId, requester, signal) => this.#fetchModel(modelId, requester, signal),
      deliver: (peer, msg) => this.mesh.request(peer, 'unit-result', msg, { timeoutMs: 30_000 }),
      ...(this.#init.faults ? { faults: this.#init.faults } : {}),
      onChange: () => this.dispatchEvent(new Event('contributor')),
      ...(this.#init.log ? { log: this.#init.log } : {}),
    });
    this.#contributing = true;
    await this.#advertise();
    this.dispatchEvent(new Event('contributor'));
    return this.contributor();
  }

  async stopContributing(): Promise<void> {
    this.#contributing = false;
    this.#executor?.stop();
    await this.#advertise();
    this.dispatchEvent(new Event('contributor'));
  }

  contributor(): ContributorInfo {
    const base = this.#executor?.info() ?? { slots: 0, unitsDone: 0, unitsRunning: 0, unitsFailed: 0, address: this.#key.address, recent: [] };
    return { ...base, contributing: this.#contributing, ...(this.#adapter ? { adapter: this.#adapter } : {}), ...(this.#score !== undefined ? { score: this.#score } : {}) };
  }

  // ---------------------------------------------------------------- requester

  /** Submits a job. Throws InvalidJobError for a spec that cannot be a job; later failures reject `result`. */
  submit(spec: JobSpec): JobHandle {
    const resolved = validateJobSpec(spec, DEFAULTS);
    if (!this.#mesh) throw new InvalidJobError('node', 'is not started: call start() first');
    const jobId = randomHex32();
    const job = new SubmittedJob(jobId, Math.ceil(resolved.samples / resolved.unitSize));
    this.#jobs.set(jobId, job);
    job.addEventListener('progress', (e) => this.dispatchEvent(new CustomEvent('job', { detail: (e as CustomEvent<JobProgress>).detail })));
    void this.#launch(job, spec.model.url, resolved);
    return job;
  }

  /** Progress of every job this tab submitted. */
  jobs(): JobProgress[] {
    return [...this.#jobs.values()].map((j) => j.progress());
  }

  async #launch(job: SubmittedJob, url: string, spec: ResolvedJobSpec): Promise<void> {
    let bundle: ModelBundle;
    try {
      bundle = await this.#models.publishFromUrl(url);
    } catch (e) {
      job.fail(e instanceof ModelFetchError ? e : new ModelFetchError(`model ${url}: ${(e as Error).message}`));
      return;
    }
    const sampleSize = bundle.manifest.input.shape.reduce((a, b) => a * b, 1);
    const classes = bundle.manifest.labels.length;
    if (spec.inputs.length !== spec.samples * sampleSize) {
      job.fail(new InvalidJobError('inputs', `holds ${spec.inputs.length} values; ${spec.samples} samples of [${bundle.manifest.input.shape.join(',')}] need ${spec.samples * sampleSize}`));
      return;
    }
    if (job.cancelled) return;
    const payments = this.#payments;
    if (payments) {
      // Worst case the job can cost: every unit paid to r workers plus one extra replica each.
      const units = BigInt(Math.ceil(spec.samples / spec.unitSize));
      try {
        await payments.ensureEscrow(units * BigInt(spec.replication + 1) * spec.pricePerUnit);
      } catch (e) {
        job.fail(new EscrowUnavailableError(`escrow for job ${job.id}: ${(e as Error).message}`));
        return;
      }
      for (const p of this.peers()) if (p.capability) void payments.isEligible(p.capability.operator).catch(() => undefined);
    }
    if (job.cancelled) return;
    await this.#advertise();
    const run = new JobRun({
      jobId: job.id,
      spec,
      model: { modelId: bundle.modelId, classes, sampleSize, task: 'classify' },
      self: this.peerId,
      transport: {
        offers: () => this.#offers(),
        assign: (peer, msg, o) => this.mesh.request(peer, 'unit-assign', msg, o),
        cancel: async (peer, jobId, reason) => {
          await this.mesh.send(peer, 'cancel', { jobId, reason });
        },
        announce: async (msg) => {
          await this.mesh.publish('jobs', { type: 'job-announce', msg });
        },
      },
      ...(this.#init.unitTimeoutMs !== undefined ? { unitTimeoutMs: this.#init.unitTimeoutMs } : {}),
      ...(spec.spotCheck > 0 ? { localCheck: (input: Float32Array, batch: number) => this.#runLocally(bundle, input, batch) } : {}),
      ...(this.#init.log ? { log: this.#init.log } : {}),
    });
    job.attach(run);
    run.start();
    if (payments) {
      // Pay verified work: one cumulative receipt per credited worker (never for rejected results).
      run.result.then(
        (r) => {
          // Receipts pay each worker's advertised payout address (its claims were checked against its operator).
          job.paid = payments.payWorkers(receiptCredits(r), spec.pricePerUnit).catch((e: Error) => {
            this.#init.log?.(`paying job ${job.id} failed: ${e.message}`);
            return [];
          });
          // Provable faults go to the chain: anyone may report them, the requester saw them.
          if (r.evidence.length > 0) void payments.reportEquivocations(r.evidence).catch(() => undefined);
        },
        () => undefined,
      );
    }
    // Cancel also on gossip, for workers this tab cannot reach directly any more.
    run.result.catch((e: Error) => {
      if (e.name === 'JobCancelledError') void this.#mesh?.publish('jobs', { type: 'cancel', msg: { jobId: job.id, reason: 'cancelled by requester' } }).catch(() => undefined);
    });
  }

  #offers(): WorkerOffer[] {
    // Stake is the operator's: the key that signs claims is the one that can be slashed.
    const payments = this.#payments;
    return workerOffers(this.peers(), payments ? (operator) => payments.eligibleSeen(operator) : undefined);
  }

  async #runLocally(bundle: ModelBundle, input: Float32Array, batch: number): Promise<Float32Array> {
    const compute = await this.#ensureCompute();
    // Upload the weights once per compute worker, not once per spot-checked unit.
    let loaded = this.#localModels.get(compute)?.get(bundle.modelId);
    if (!loaded) {
      const files: Record<string, ArrayBuffer> = {};
      for (const [path, bytes] of Object.entries(bundle.files)) files[path] = bytes.slice().buffer;
      loaded = compute.loadModel({ manifest: bundle.manifestBytes.slice().buffer, files }).then(() => undefined);
      loaded.catch(() => this.#localModels.get(compute)?.delete(bundle.modelId));
      if (!this.#localModels.has(compute)) this.#localModels.set(compute, new Map());
      this.#localModels.get(compute)!.set(bundle.modelId, loaded);
    }
    await loaded;
    return (await compute.runUnit(bundle.modelId, input, batch)).logits;
  }

  async #ensureCompute(): Promise<ComputeWorker> {
    if (!this.#compute) {
      this.#compute = new ComputeWorker(this.#init.compute ?? {});
      this.#computeReady = this.#compute.start();
    }
    const compute = this.#compute;
    try {
      const ready = await (this.#computeReady as ReturnType<ComputeWorker['start']>);
      this.#adapter = ready.adapter;
      this.#score = ready.score;
    } catch (e) {
      compute.stop();
      if (this.#compute === compute) {
        this.#compute = null;
        this.#computeReady = null;
      }
      throw e;
    }
    return compute;
  }

  #fetchModel(modelId: string, requester: string, signal: AbortSignal): Promise<ModelBundle> {
    const mesh = this.mesh;
    const holders = [requester, ...mesh.peers().filter((p) => p.direct && p.id !== requester && p.capability?.models.includes(modelId)).map((p) => p.id)];
    return this.#models
      .fetch(modelId, holders, (peer, req, o) => mesh.request(peer, 'blob', req, o), { signal })
      .then(async (b) => {
        await this.#advertise();
        return b;
      });
  }

  async #advertise(): Promise<void> {
    const mesh = this.#mesh;
    if (!mesh) return;
    const a = this.#adapter;
    const adapter = a ? [a.vendor, a.architecture, a.description, a.isFallbackAdapter ? '(fallback)' : ''].filter(Boolean).join(' ').slice(0, 256) : '';
    const cap: MessageOf<'capability'> = {
      adapter,
      gflops: this.#score?.gflops ?? 0,
      freeSlots: this.#contributing ? this.#contributeOpts.slots : 0,
      priceFloor: this.#contributeOpts.priceFloor,
      payout: this.payoutAddress,
      models: this.#models.modelIds().slice(0, 64),
      operator: this.#key.address,
    };
    await mesh.advertise(cap).catch((e: Error) => this.#init.log?.(`advertise failed: ${e.message}`));
  }
}
