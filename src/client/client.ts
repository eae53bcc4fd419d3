import { ClientJob } from './client-job.ts';
import { ClientClosedError, InvalidJobSpecError } from './errors.ts';
import { toContributeError } from './map-errors.ts';
import { validateJobSpec } from './validate-job-spec.ts';
import type { ClientEvents, ClientNode, ContributeOptions, ContributorInfo, JobSpec, MeshPeer } from './types.ts';

export interface TabmeshClientOptions {
  /** `close()` also stops the node. Default true (what `connect()` wants: the client made the node). */
  ownsNode?: boolean;
}

/**
 * The in-page API over one {@link TabmeshNode}: submit jobs, contribute this tab's GPU, see
 * peers. Get one from {@link connect}; `new TabmeshClient(node)` wraps a node you started
 * yourself (the app does, to share one node between views).
 *
 * After {@link TabmeshClient.close} every method throws (or rejects with) `ClientClosedError`.
 *
 * @example
 * import { connect } from './src/client/index.ts';
 * const client = await connect();
 * console.log(client.peerId, client.peers().length, 'peers');
 * await client.contribute();            // rejects with ContributeUnavailableError without a GPU
 * await client.close();
 */
export class TabmeshClient {
  readonly #node: ClientNode;
  readonly #ownsNode: boolean;
  readonly #jobs = new Set<ClientJob>();
  readonly #unsubscribe = new Set<() => void>();
  #closing: Promise<void> | null = null;

  constructor(node: ClientNode, opts: TabmeshClientOptions = {}) {
    this.#node = node;
    this.#ownsNode = opts.ownsNode ?? true;
  }

  /** This tab's libp2p peer id ('' when the node does not say). */
  get peerId(): string {
    this.#assertOpen();
    return this.#node.peerId ?? '';
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Submits a job. The spec is checked here first ({@link validateJobSpec}): a bad one throws
   * `InvalidJobSpecError` naming the field, synchronously, and nothing reaches the network.
   *
   * @example
   * const { inputs, labels } = await fetchHeldOutDigits(200);
   * const job = client.submit({ model: { url: '/models/digits-cnn/manifest.json' }, inputs, samples: 200, labels, replication: 2 });
   * job.on('progress', (p) => console.log(p.counts));
   * console.log('accuracy', (await job.result).accuracy);
   */
  submit(spec: JobSpec): ClientJob {
    this.#assertOpen();
    const valid = validateJobSpec(spec);
    let handle;
    try {
      handle = this.#node.submit(valid);
    } catch (e) {
      // The node checks again; its InvalidJobError carries `field` too.
      const err = e as { name?: unknown; field?: unknown; message?: unknown };
      if (err?.name === 'InvalidJobError' && typeof err.field === 'string') {
        const mapped = new InvalidJobSpecError(err.field, String(err.message ?? 'is invalid').replace(/^job: \S+ /, ''));
        Object.defineProperty(mapped, 'cause', { value: e, configurable: true, writable: true });
        throw mapped;
      }
      throw e;
    }
    const job = new ClientJob(handle);
    this.#jobs.add(job);
    job.result.then(
      () => this.#jobs.delete(job),
      () => this.#jobs.delete(job),
    );
    return job;
  }

  /**
   * Jobs submitted through this client that have not settled yet.
   *
   * @example
   * for (const job of client.jobs()) await job.cancel();
   */
  jobs(): ClientJob[] {
    this.#assertOpen();
    return [...this.#jobs];
  }

  /**
   * Starts running other peers' work units on this tab's GPU (starting the compute worker and
   * benchmarking the adapter on first use). Rejects with `ContributeUnavailableError` whose
   * `reason` is `'no-webgpu'`, `'no-adapter'` or `'error'` (the node's error is its `cause`).
   *
   * @example
   * try {
   *   const info = await client.contribute(); // one slot (one compute worker); { slots: n } for more
   *   console.log(info.adapter?.description, info.score?.gflops, 'GFLOP/s');
   * } catch (e) {
   *   if ((e as Error).name === 'ContributeUnavailableError') console.log('cannot contribute:', (e as ContributeUnavailableError).reason);
   * }
   */
  async contribute(opts?: ContributeOptions): Promise<ContributorInfo> {
    this.#assertOpen();
    try {
      return await this.#node.startContributing(opts);
    } catch (e) {
      if (e instanceof RangeError) throw e; // bad options: the caller's bug, not the GPU's
      throw toContributeError(e);
    }
  }

  /**
   * Stops taking work units; units already running are abandoned (their requesters reassign them).
   *
   * @example
   * await client.stopContributing();
   * console.log(client.contributor().contributing); // false
   */
  async stopContributing(): Promise<void> {
    this.#assertOpen();
    await this.#node.stopContributing();
  }

  /**
   * This tab as a contributor: whether it contributes, its adapter and benchmark score, units
   * done / running / failed.
   *
   * @example
   * const { contributing, unitsDone } = client.contributor();
   */
  contributor(): ContributorInfo {
    this.#assertOpen();
    return this.#node.contributor();
  }

  /**
   * Peers connected now (directly or relayed), with their scores and capability adverts.
   *
   * @example
   * console.log(client.peers().filter((p) => p.direct).length, 'direct links');
   */
  peers(): MeshPeer[] {
    this.#assertOpen();
    return this.#node.peers();
  }

  /**
   * Whether the node's relay connection is open. Without it new tabs cannot find this one, but
   * direct links that exist keep working (the node keeps retrying). `'relay'` events say when it
   * changes.
   *
   * @example
   * if (!client.relayReachable) console.log('relay unreachable: only peers already linked can be reached');
   */
  get relayReachable(): boolean {
    this.#assertOpen();
    return this.#node.relayReachable ?? false;
  }

  /**
   * Calls `cb` with the new value whenever the peers (`'peers'`: one linked or left, or changed its
   * advertised capability, e.g. started contributing), the contributor state (`'contributor'`) or
   * the relay connection (`'relay'`: {@link relayReachable}) change; returns a function that
   * removes it. `close()` removes them all.
   *
   * @example
   * const off = client.on('peers', (peers) => console.log(peers.filter((p) => p.capability?.freeSlots).length, 'contributors'));
   * client.on('relay', (reachable) => console.log('relay', reachable ? 'up' : 'down'));
   * off();
   */
  on<K extends keyof ClientEvents>(event: K, cb: (value: ClientEvents[K]) => void): () => void {
    this.#assertOpen();
    if (event !== 'peers' && event !== 'contributor' && event !== 'relay') throw new TypeError(`TabmeshClient has no '${String(event)}' event`);
    const node = this.#node;
    if (!node.addEventListener || !node.removeEventListener) return () => {};
    const value = (): ClientEvents[K] => (event === 'peers' ? node.peers() : event === 'contributor' ? node.contributor() : (node.relayReachable ?? false)) as ClientEvents[K];
    const listener = () => {
      if (this.closed) return;
      cb(value());
    };
    node.addEventListener(event, listener);
    const off = () => {
      node.removeEventListener?.(event, listener);
      this.#unsubscribe.delete(off);
    };
    this.#unsubscribe.add(off);
    return off;
  }

  /**
   * Cancels this client's unfinished jobs (their `result` rejects with `JobFailedError` caused by
   * `ClientClosedError`), drops its listeners and, when it owns the node, stops it (leaving the
   * mesh). Idempotent: a second call returns the first call's promise.
   *
   * @example
   * await client.close();
   * client.peers(); // throws ClientClosedError
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      for (const off of [...this.#unsubscribe]) off();
      const jobs = [...this.#jobs];
      this.#jobs.clear();
      await Promise.all(jobs.map((j) => j.cancel().catch(() => undefined)));
      for (const j of jobs) j.abandon();
      if (this.#ownsNode) await this.#node.stop();
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing) throw new ClientClosedError();
  }
}
