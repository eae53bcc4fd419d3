/**
 * The page's one TabmeshNode and what the Contribute and Submit views show about it. The node is
 * created when one of those views is first opened (the Try-it view never needs the network); the
 * views drive it through the in-page client API (`src/client`), the same API a web developer
 * uses, and follow it through the client's events: `peers` (a peer linked, left or changed its
 * capability advert, e.g. started contributing), `contributor` and `relay`. Nothing polls.
 *
 * URL flags: `?relay=<multiaddr>` picks the relay (else VITE_TABMESH_RELAY, which `npm start`
 * sets); `?debug` exposes this state as `globalThis.tabmesh.network` and enables device-loss
 * simulation in the compute worker; `?debug&corrupt` makes this tab a contributor that flips its
 * outputs (for end-to-end tests of verification). `?identity=<name>` gives the tab its own chain
 * identity and ledger (IndexedDB `tabmesh-identity-<name>`, `tabmesh-ledger-<name>`) instead of the
 * browser profile's one, as a separate profile would; `?settleEveryMs=<n>` sets the background
 * settlement period (0: only "Settle now"). Both exist for tests of several tabs in one profile.
 */
import type { TabmeshNode, TabmeshNodeInit } from '../node/index.ts';
import { TabmeshClient, type ClientJob, type ContributorInfo, type JobProgress, type JobResult, type MeshPeer, type GpuUnavailableReason } from '../client/index.ts';
import { fetchHeldOutDigits } from '../models/digits/held-out.ts';
import { DEFAULT_MODEL_URL } from './compute.svelte.ts';

export type NetworkStatus =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'online'; peerId: string }
  /** `no-relay`: none configured (or malformed); `error`: the node failed to start. */
  | { kind: 'offline'; reason: 'no-relay' | 'error'; message: string };

export type ContributeStatus =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'on' }
  | { kind: 'stopping' }
  | { kind: 'unavailable'; reason: GpuUnavailableReason; message: string };

export type SubmitStatus =
  | { kind: 'idle' }
  | { kind: 'loading-digits'; count: number }
  | { kind: 'running'; jobId: string }
  | { kind: 'cancelling'; jobId: string }
  | { kind: 'done'; jobId: string; result: JobResult }
  | { kind: 'cancelled'; jobId: string }
  /** `name`: the node's error name (NoWorkersError, JobDeadlineError, ...) or the client's. */
  | { kind: 'failed'; name: string; message: string };

/** Held-out digits available to the Submit view, and the replication it offers. */
export const SUBMIT_LIMITS = { count: { min: 1, max: 2000 }, replication: { min: 1, max: 4 } } as const;

function params(): URLSearchParams {
  return new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
}

class NetworkState {
  status = $state.raw<NetworkStatus>({ kind: 'idle' });
  /** Whether the relay connection is open (the mesh keeps retrying while it is not). */
  relayConnected = $state(false);
  peers = $state.raw<MeshPeer[]>([]);
  contributor = $state.raw<ContributorInfo | null>(null);
  contribute = $state.raw<ContributeStatus>({ kind: 'off' });
  submit = $state.raw<SubmitStatus>({ kind: 'idle' });
  progress = $state.raw<JobProgress | null>(null);

  #node: TabmeshNode | null = null;
  #client: TabmeshClient | null = null;
  #connecting: Promise<TabmeshClient | null> | null = null;
  #job: ClientJob | null = null;

  /** The page's node, once connected (for devtools and tests). */
  get node(): TabmeshNode | null {
    return this.#node;
  }

  /** The client over it, once connected. */
  get client(): TabmeshClient | null {
    return this.#client;
  }

  /** The job the Submit view is showing. */
  get job(): ClientJob | null {
    return this.#job;
  }

  /** Starts the node the first time it is called; later calls share that start. Null if it failed. */
  ensure(): Promise<TabmeshClient | null> {
    this.#connecting ??= this.#connect();
    return this.#connecting;
  }

  /** After a failed start: try again (e.g. the relay was started meanwhile). */
  retry(): Promise<TabmeshClient | null> {
    if (this.status.kind === 'offline') this.#connecting = null;
    return this.ensure();
  }

  async #connect(): Promise<TabmeshClient | null> {
    const q = params();
    const debug = q.has('debug');
    this.status = { kind: 'connecting' };
    const identity = q.get('identity');
    const settleEvery = q.get('settleEveryMs');
    const init: TabmeshNodeInit = {
      ...(identity || settleEvery !== null
        ? { payments: { ...(identity ? { profile: identity } : {}), ...(settleEvery !== null && /^\d+$/.test(settleEvery) ? { settleEveryMs: Number(settleEvery) } : {}) } }
        : {}),
      ...(debug ? { compute: { debug: true } } : {}),
      ...(debug && q.has('corrupt') ? { faults: { corruptResults: true } } : {}),
    };
    let node: TabmeshNode | null = null;
    try {
      // Loaded on first use: the Try-it view never pays for libp2p.
      const { TabmeshNode } = await import('../node/index.ts');
      node = new TabmeshNode(init);
      await node.start();
    } catch (e) {
      await node?.stop().catch(() => undefined);
      const err = e as Error;
      this.status = { kind: 'offline', reason: err.name === 'MeshConfigError' ? 'no-relay' : 'error', message: err.message };
      return null;
    }
    const client = new TabmeshClient(node);
    this.#node = node;
    this.#client = client;
    client.on('relay', (reachable) => (this.relayConnected = reachable));
    client.on('peers', (p) => (this.peers = p));
    client.on('contributor', (c) => (this.contributor = c));
    this.relayConnected = client.relayReachable;
    this.peers = client.peers();
    this.contributor = client.contributor();
    this.status = { kind: 'online', peerId: node.peerId };
    return client;
  }

  /** Starts or stops contributing this tab's GPU. */
  async toggleContributing(): Promise<void> {
    const client = await this.ensure();
    if (!client) return;
    const k = this.contribute.kind;
    if (k === 'starting' || k === 'stopping') return;
    if (k === 'on') {
      this.contribute = { kind: 'stopping' };
      try {
        await client.stopContributing();
      } finally {
        this.contribute = { kind: 'off' };
        this.contributor = client.contributor();
      }
      return;
    }
    this.contribute = { kind: 'starting' };
    try {
      this.contributor = await client.contribute();
      this.contribute = { kind: 'on' };
    } catch (e) {
      const err = e as Error & { reason?: GpuUnavailableReason };
      this.contribute = { kind: 'unavailable', reason: err.reason ?? 'error', message: err.message };
    }
  }

  /** Whether a job is being prepared or running. */
  get busy(): boolean {
    const k = this.submit.kind;
    return k === 'loading-digits' || k === 'running' || k === 'cancelling';
  }

  /** Classifies the first `count` held-out digits over the mesh, each unit on `replication` workers. */
  async submitDigits(count: number, replication: number): Promise<void> {
    if (this.busy) return;
    const client = await this.ensure();
    if (!client) return;
    this.progress = null;
    this.#job = null;
    this.submit = { kind: 'loading-digits', count };
    let job: ClientJob;
    try {
      const { inputs, labels } = await fetchHeldOutDigits(count);
      job = client.submit({ model: { url: new URL(DEFAULT_MODEL_URL, location.href).href }, inputs, samples: count, labels, replication });
    } catch (e) {
      const err = e as Error;
      this.submit = { kind: 'failed', name: err.name, message: err.message };
      return;
    }
    this.#job = job;
    this.progress = job.progress();
    this.submit = { kind: 'running', jobId: job.id };
    job.on('progress', (p) => (this.progress = p));
    try {
      const result = await job.result;
      this.submit = { kind: 'done', jobId: job.id, result };
    } catch (e) {
      const err = e as Error;
      if (err.name === 'JobCancelledError') this.submit = { kind: 'cancelled', jobId: job.id };
      else {
        const cause = err.cause as Error | undefined;
        this.submit = { kind: 'failed', name: cause?.name ?? err.name, message: cause?.message ?? err.message };
      }
    } finally {
      this.progress = job.progress();
    }
  }

  /** Cancels the running job; its status becomes `cancelled` once the node confirms. */
  async cancel(): Promise<void> {
    const job = this.#job;
    if (!job || this.submit.kind !== 'running') return;
    this.submit = { kind: 'cancelling', jobId: job.id };
    await job.cancel();
  }
}

export const network = new NetworkState();

// `?debug` exposes the state to tests and devtools (beside `compute`, see compute.svelte.ts).
if (params().has('debug')) {
  const g = globalThis as { tabmesh?: Record<string, unknown> };
  g.tabmesh = { ...g.tabmesh, network };
}
