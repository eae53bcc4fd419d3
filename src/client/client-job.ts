import { ClientClosedError, JobFailedError } from './errors.ts';
import { toJobError } from './map-errors.ts';
import type { JobHandle, JobProgress, JobResult } from './types.ts';

type ProgressListener = (progress: JobProgress) => void;

/**
 * A submitted job, as {@link TabmeshClient.submit} returns it: its id, its progress (polled, as
 * events, or as an async iterator) and its result.
 *
 * `result` rejects with `JobCancelledError` after {@link ClientJob.cancel}, with `JobFailedError`
 * when the network gave up (its `cause` is the node's error: `NoWorkersError`,
 * `JobDeadlineError`, `ModelFetchError`, ...), and with `JobFailedError` caused by
 * `ClientClosedError` when the client was closed first. A rejection nobody awaits is not reported
 * as unhandled.
 *
 * @example
 * import { connect } from './src/client/index.ts';
 * const client = await connect();
 * const job = client.submit({ model: { url: '/models/digits-cnn/manifest.json' }, inputs, samples: 100 });
 * job.on('progress', (p) => console.log(p.counts.done, '/', p.units.length));
 * for await (const p of job) console.log(`${p.counts.done} of ${p.units.length} units verified`);
 * const { argmax, accuracy } = await job.result;
 */
export class ClientJob implements AsyncIterable<JobProgress> {
  /** The job's id (64 hex), the same on every peer. */
  readonly id: string;
  /** Resolves with the verified result; see the class notes for how it rejects. */
  readonly result: Promise<JobResult>;
  readonly #handle: JobHandle;
  readonly #listeners = new Set<ProgressListener>();
  #settled = false;
  #reject!: (e: unknown) => void;
  readonly #onProgress = (ev: Event): void => {
    const p = (ev as CustomEvent<JobProgress>).detail ?? this.#handle.progress();
    for (const cb of [...this.#listeners]) {
      try {
        cb(p);
      } catch (e) {
        // A throwing listener must not stop the others or the job.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  };

  /** Wraps a node's {@link JobHandle}. Applications get a `ClientJob` from `client.submit()`. */
  constructor(handle: JobHandle) {
    this.#handle = handle;
    this.id = handle.id;
    this.result = new Promise<JobResult>((resolve, reject) => {
      this.#reject = reject;
      handle.result.then(resolve, (e: unknown) => reject(toJobError(handle.id, e)));
    });
    this.result.then(
      () => this.#settle(),
      () => this.#settle(),
    );
    handle.addEventListener('progress', this.#onProgress);
  }

  /** Whether `result` has settled. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * The latest progress snapshot: every unit's state, counts per state, `done`.
   *
   * @example
   * const { counts, units } = job.progress();
   * console.log(`${counts.done}/${units.length} verified, ${counts.failed} failed`);
   */
  progress(): JobProgress {
    return this.#handle.progress();
  }

  /**
   * Calls `cb` with each progress snapshot; returns a function that removes it. Listeners are
   * dropped when the job settles.
   *
   * @example
   * const off = job.on('progress', (p) => bar.value = p.counts.done / p.units.length);
   * await job.result.finally(off);
   */
  on(event: 'progress', cb: ProgressListener): () => void {
    if (event !== 'progress') throw new TypeError(`ClientJob has no '${String(event)}' event`);
    if (this.#settled) return () => {};
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  /**
   * Iterates progress snapshots, starting with the current one, until one says `done` or the job
   * settles. A slow consumer skips to the newest snapshot (each is the whole state). It ends
   * normally even when the job fails: `await job.result` for the outcome.
   *
   * @example
   * for await (const p of job) console.log(p.counts);
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<JobProgress, void, undefined> {
    let next: JobProgress | null = this.progress();
    let wake: (() => void) | null = null;
    let over = this.#settled;
    const off = this.on('progress', (p) => {
      next = p;
      wake?.();
    });
    void this.result.then(
      () => ((over = true), wake?.()),
      () => ((over = true), wake?.()),
    );
    try {
      for (;;) {
        if (next !== null) {
          const p: JobProgress = next;
          next = null;
          yield p;
          if (p.done) return;
          continue;
        }
        if (over) {
          // The job settled without a `done` snapshot reaching us: end on its final state.
          yield this.progress();
          return;
        }
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      off();
    }
  }

  /**
   * Asks the network to stop the job; `result` then rejects with `JobCancelledError`. Does nothing
   * once the job has settled.
   *
   * @example
   * await job.cancel();
   * await job.result.catch((e) => console.log(e.name)); // 'JobCancelledError'
   */
  async cancel(): Promise<void> {
    if (this.#settled) return;
    await this.#handle.cancel();
  }

  /** Called by the client when it closes: a job still running fails with `ClientClosedError` as cause. */
  abandon(): void {
    if (this.#settled) return;
    const closed = new ClientClosedError();
    this.#reject(new JobFailedError(this.id, `job ${this.id.slice(0, 12)} abandoned: ${closed.message}`, { cause: closed }));
  }

  #settle(): void {
    this.#settled = true;
    this.#listeners.clear();
    this.#handle.removeEventListener('progress', this.#onProgress);
  }
}
