/**
 * The compute engine behind `compute.worker.ts`, kept free of worker globals so Node tests can
 * drive it on Dawn: it owns the GPU runtime, the loaded models and the unit queue.
 *
 * Units run one at a time (one device, and SwiftShader already uses every core). A device loss
 * in the middle of a unit reopens the device, re-uploads the weights from host memory and reruns
 * the unit; the result says how many losses it survived.
 */
import { GpuRuntime } from '../src/gpu/runtime.ts';
import { autotune, type BenchmarkScore, type TuningStore } from '../src/gpu/autotune.ts';
import { loadModel, sha256Hex, type LoadedModel } from '../src/models/load.ts';
import { prepareModel, type RunnableModel } from '../src/models/runnable.ts';
import {
  CancelledError,
  InvalidRequestError,
  parseRequest,
  type LoadModelRequest,
  type RunUnitRequest,
  type WorkerReply,
} from './protocol.ts';

/** Times a unit is rerun after device losses before it fails. */
export const MAX_DEVICE_LOSS_RETRIES = 3;

export interface ComputeEngineInit {
  /** WebGPU entry point; defaults to `navigator.gpu`. */
  gpu?: GPU;
  /** Where autotune choices persist between sessions. */
  tuningStore?: TuningStore;
  /** Sends a reply to the owner (postMessage in the worker). */
  post: (reply: WorkerReply, transfer?: Transferable[]) => void;
  fetch?: typeof fetch;
}

interface ModelEntry {
  loaded: LoadedModel;
  runnable: RunnableModel | null;
}

interface QueuedUnit {
  req: RunUnitRequest;
  enqueuedAt: number;
  abort: AbortController;
}

/** The engine refuses work before `init` succeeded. */
export class EngineNotReadyError extends Error {
  override readonly name = 'EngineNotReadyError';
}

/** A unit names a model that was never loaded. */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
}

export class ComputeEngine {
  readonly #init: ComputeEngineInit;
  #rt: GpuRuntime | null = null;
  #debug = false;
  #score: BenchmarkScore | null = null;
  readonly #models = new Map<string, ModelEntry>();
  readonly #queue: QueuedUnit[] = [];
  #running: QueuedUnit | null = null;
  #draining = false;

  constructor(init: ComputeEngineInit) {
    this.#init = init;
  }

  /** Handles one raw message. Never throws: failures become `error` replies. */
  async handle(raw: unknown): Promise<void> {
    let id = 0;
    try {
      const rawId = (raw as { id?: unknown } | null)?.id;
      if (typeof rawId === 'number' && Number.isSafeInteger(rawId)) id = rawId;
      const req = parseRequest(raw);
      id = req.id;
      switch (req.type) {
        case 'init': {
          if (!this.#rt) {
            const rt = new GpuRuntime({ ...(this.#init.gpu ? { gpu: this.#init.gpu } : {}), ...(req.featureLevel ? { featureLevel: req.featureLevel } : {}) });
            await rt.start();
            rt.addEventListener('devicelost', (e) => this.#onDeviceLost(rt, (e as CustomEvent).detail as Error));
            this.#rt = rt;
          }
          this.#debug = req.debug ?? false;
          if (req.autotune !== false) this.#score = await autotune(this.#rt, this.#init.tuningStore ? { store: this.#init.tuningStore } : {});
          this.#init.post({ type: 'ready', id, adapter: this.#rt.report, score: this.#score });
          return;
        }
        case 'load-model':
          return await this.#loadModel(req);
        case 'run-unit': {
          if (!this.#rt) throw new EngineNotReadyError('init must succeed before units run');
          if (!this.#models.has(req.modelId)) throw new UnknownModelError(`model ${req.modelId} is not loaded`);
          this.#queue.push({ req, enqueuedAt: performance.now(), abort: new AbortController() });
          this.#init.post({ type: 'progress', id, stage: 'queued', fraction: 0 });
          void this.#drain();
          return;
        }
        case 'cancel': {
          const i = this.#queue.findIndex((u) => u.req.id === req.target);
          if (i >= 0) {
            const [u] = this.#queue.splice(i, 1);
            this.#fail(u!.req.id, new CancelledError(`unit ${req.target} cancelled while queued`));
          } else if (this.#running?.req.id === req.target) {
            this.#running.abort.abort(new CancelledError(`unit ${req.target} cancelled while running`));
          }
          return;
        }
        case 'debug': {
          if (!this.#debug) throw new InvalidRequestError('debug requests are disabled (init with debug: true)');
          if (!this.#rt) throw new EngineNotReadyError('no device to lose');
          this.#rt.device.destroy();
          this.#init.post({ type: 'debug-done', id });
          return;
        }
      }
    } catch (e) {
      this.#fail(id, e as Error);
    }
  }

  /** Releases every model and the device. */
  async stop(): Promise<void> {
    for (const u of this.#queue.splice(0)) this.#fail(u.req.id, new CancelledError('engine stopped'));
    this.#running?.abort.abort(new CancelledError('engine stopped'));
    for (const m of this.#models.values()) m.runnable?.release();
    this.#models.clear();
    await this.#rt?.stop();
    this.#rt = null;
  }

  #fail(id: number, e: Error): void {
    this.#init.post({ type: 'error', id, name: e.name || 'Error', message: e.message });
  }

  async #loadModel(req: LoadModelRequest): Promise<void> {
    if (!this.#rt) throw new EngineNotReadyError('init must succeed before models load');
    let loaded: LoadedModel;
    let modelId: string;
    const src = req.source;
    if ('url' in src) {
      loaded = await loadModel({ manifestUrl: src.url, ...(this.#init.fetch ? { fetch: this.#init.fetch } : {}) });
      modelId = loaded.manifestSha256!;
    } else {
      const bytes = new Uint8Array(src.manifest);
      modelId = await sha256Hex(bytes);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch (e) {
        throw new InvalidRequestError(`request.source.manifest is not UTF-8 JSON: ${(e as Error).message}`);
      }
      loaded = await loadModel({
        manifest: json,
        fetchFile: async (path) => {
          const f = Object.hasOwn(src.files, path) ? src.files[path] : undefined;
          if (!f) throw new InvalidRequestError(`request.source.files has no file "${path}" named by the manifest`);
          return f;
        },
      });
    }
    const existing = this.#models.get(modelId);
    if (!existing) {
      const runnable = prepareModel(this.#rt, loaded);
      this.#models.set(modelId, { loaded, runnable });
    }
    const m = loaded.manifest;
    this.#init.post({ type: 'model-loaded', id: req.id, modelId, name: m.name, architecture: m.architecture, inputShape: [...m.input.shape], labels: [...m.labels] });
  }

  #onDeviceLost(rt: GpuRuntime, err: Error): void {
    // GPU copies of the weights died with the device; host copies stay for re-upload.
    for (const m of this.#models.values()) m.runnable = null;
    this.#init.post({ type: 'device-lost', id: 0, reason: err.message, recovered: false });
    // Reopen eagerly so the next unit does not pay for it; a running unit also retries.
    void rt.start().then(
      () => this.#init.post({ type: 'device-lost', id: 0, reason: err.message, recovered: true }),
      () => undefined,
    );
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let u = this.#queue.shift(); u; u = this.#queue.shift()) {
        this.#running = u;
        await this.#runUnit(u);
        this.#running = null;
      }
    } finally {
      this.#draining = false;
    }
  }

  async #runUnit(u: QueuedUnit): Promise<void> {
    const { req } = u;
    const started = performance.now();
    let losses = 0;
    for (;;) {
      try {
        const rt = this.#rt!;
        if (!rt.started) await rt.start();
        const entry = this.#models.get(req.modelId);
        if (!entry) throw new UnknownModelError(`model ${req.modelId} is not loaded`);
        entry.runnable ??= prepareModel(rt, entry.loaded);
        this.#init.post({ type: 'progress', id: req.id, stage: 'running', fraction: 0 });
        const input = new Float32Array(req.input);
        const r = await entry.runnable.classify(input, req.batch, {
          signal: u.abort.signal,
          onProgress: (f) => this.#init.post({ type: 'progress', id: req.id, stage: 'running', fraction: f }),
        });
        const done = performance.now();
        const logits = r.logits.buffer as ArrayBuffer;
        const probs = r.probs.buffer as ArrayBuffer;
        this.#init.post(
          {
            type: 'result',
            id: req.id,
            logits,
            probs,
            argmax: [...r.argmax],
            classes: r.classes,
            timings: { queuedMs: started - u.enqueuedAt, computeMs: done - started, totalMs: done - u.enqueuedAt },
            deviceLosses: losses,
          },
          [logits, probs],
        );
        return;
      } catch (e) {
        const err = e as Error;
        if (u.abort.signal.aborted) return this.#fail(req.id, u.abort.signal.reason as Error);
        if (err.name === 'DeviceLostError' && losses < MAX_DEVICE_LOSS_RETRIES) {
          losses++;
          continue;
        }
        return this.#fail(req.id, err);
      }
    }
  }
}
