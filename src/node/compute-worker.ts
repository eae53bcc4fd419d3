/**
 * The page's handle on `workers/compute.worker.ts`: starts the worker, turns the message
 * protocol into promises, and rebuilds errors by their stable names.
 */
import type {
  ModelLoadedReply,
  ModelSource,
  ReadyReply,
  ResultReply,
  UnitStage,
  WorkerReply,
  WorkerRequest,
} from '../../workers/protocol.ts';

/** An error the worker reported, carrying the worker-side class name (e.g. 'NoAdapterError'). */
export class ComputeWorkerError extends Error {
  override readonly name: string;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface RunUnitOptions {
  onProgress?: (stage: UnitStage, fraction: number) => void;
  signal?: AbortSignal;
}

export interface ComputeWorkerInit {
  /** Defaults to the bundled compute worker. Tests inject a different script URL. */
  createWorker?: () => Worker;
  autotune?: boolean;
  debug?: boolean;
}

/** Result of one unit, with views over the returned buffers. */
export interface UnitResult {
  logits: Float32Array;
  probs: Float32Array;
  argmax: number[];
  classes: number;
  timings: ResultReply['timings'];
  deviceLosses: number;
}

type Pending = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void; onProgress?: RunUnitOptions['onProgress'] };

/**
 * @example
 * const cw = new ComputeWorker();
 * const { adapter } = await cw.start();
 * const model = await cw.loadModel({ url: '/models/digits-cnn/manifest.json' });
 * const r = await cw.runUnit(model.modelId, pixels, 1);
 * console.log(r.argmax[0]);
 * cw.stop();
 */
export class ComputeWorker extends EventTarget {
  readonly #init: ComputeWorkerInit;
  #worker: Worker | null = null;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  #ready: ReadyReply | null = null;

  constructor(init: ComputeWorkerInit = {}) {
    super();
    this.#init = init;
  }

  get ready(): ReadyReply | null {
    return this.#ready;
  }

  /** Starts the worker and its GPU device; rejects with the worker's error (e.g. NoAdapterError). */
  async start(): Promise<ReadyReply> {
    if (this.#ready) return this.#ready;
    const w = this.#init.createWorker?.() ?? new Worker(new URL('../../workers/compute.worker.ts', import.meta.url), { type: 'module', name: 'tabmesh-compute' });
    this.#worker = w;
    w.onmessage = (e: MessageEvent<WorkerReply>) => this.#onReply(e.data);
    w.onerror = (e) => {
      const err = new ComputeWorkerError('WorkerError', `compute worker failed: ${e.message}`);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    const reply = await this.#request({ type: 'init', id: this.#nextId(), autotune: this.#init.autotune ?? true, debug: this.#init.debug ?? false });
    this.#ready = reply as ReadyReply;
    return this.#ready;
  }

  /** Terminates the worker; requests in flight reject. */
  stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#ready = null;
    const err = new ComputeWorkerError('WorkerStoppedError', 'compute worker stopped');
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Loads a model into the worker. Inline files are copied, not transferred: the caller (a cache) keeps them. */
  async loadModel(source: ModelSource): Promise<ModelLoadedReply> {
    return (await this.#request({ type: 'load-model', id: this.#nextId(), source })) as ModelLoadedReply;
  }

  /** Runs one unit. The input is copied (not transferred) so the caller keeps its data. */
  async runUnit(modelId: string, input: Float32Array, batch: number, opts: RunUnitOptions = {}): Promise<UnitResult> {
    const id = this.#nextId();
    const buf = input.slice().buffer;
    const onAbort = () => this.#post({ type: 'cancel', id: this.#nextId(), target: id });
    if (opts.signal?.aborted) throw new ComputeWorkerError('CancelledError', 'unit cancelled before it started');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = (await this.#request({ type: 'run-unit', id, modelId, input: buf, batch }, [buf], opts.onProgress)) as ResultReply;
      return { logits: new Float32Array(r.logits), probs: new Float32Array(r.probs), argmax: r.argmax, classes: r.classes, timings: r.timings, deviceLosses: r.deviceLosses };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Test hook: makes the worker lose its device (only when started with `debug: true`). */
  async loseDevice(): Promise<void> {
    await this.#request({ type: 'debug', id: this.#nextId(), action: 'lose-device' });
  }

  #nextId(): number {
    return ++this.#seq;
  }

  #post(req: WorkerRequest, transfer: Transferable[] = []): void {
    if (!this.#worker) throw new ComputeWorkerError('WorkerStoppedError', 'compute worker is not started');
    this.#worker.postMessage(req, transfer);
  }

  #request(req: WorkerRequest, transfer: Transferable[] = [], onProgress?: RunUnitOptions['onProgress']): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.#pending.set(req.id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      try {
        this.#post(req, transfer);
      } catch (e) {
        this.#pending.delete(req.id);
        reject(e as Error);
      }
    });
  }

  #onReply(r: WorkerReply): void {
    if (r.type === 'device-lost') {
      this.dispatchEvent(new CustomEvent('devicelost', { detail: r }));
      return;
    }
    const p = this.#pending.get(r.id);
    if (!p) return;
    if (r.type === 'progress') {
      p.onProgress?.(r.stage, r.fraction);
      return;
    }
    this.#pending.delete(r.id);
    if (r.type === 'error') p.reject(new ComputeWorkerError(r.name, r.message));
    else p.resolve(r);
  }
}
