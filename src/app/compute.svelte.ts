/**
 * The page's compute state: one ComputeWorker, the default model, and what the UI shows about
 * them. Kept out of the components so every view reads the same state.
 */
import { ComputeWorker, ComputeWorkerError, type UnitResult } from '../node/compute-worker.ts';
import type { ModelLoadedReply, ReadyReply } from '../../workers/protocol.ts';

export const DEFAULT_MODEL_URL = '/models/digits-cnn/manifest.json';

export type ComputeStatus =
  | { kind: 'starting' }
  | { kind: 'loading-model'; ready: ReadyReply }
  | { kind: 'ready'; ready: ReadyReply; model: ModelLoadedReply }
  | { kind: 'unavailable'; reason: 'no-webgpu' | 'no-adapter' | 'error'; message: string };

class ComputeState {
  status = $state<ComputeStatus>({ kind: 'starting' });
  deviceLosses = $state(0);
  #worker: ComputeWorker | null = null;
  #started = false;

  /** Starts the worker and loads the model; only the first call does anything. */
  async start(modelUrl = DEFAULT_MODEL_URL): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    // Checked here as well as in the worker so a browser without WebGPU gets an answer at
    // once, without spinning up a worker that can only fail.
    if (!('gpu' in navigator) || !navigator.gpu) {
      this.status = { kind: 'unavailable', reason: 'no-webgpu', message: 'This browser does not expose WebGPU.' };
      return;
    }
    const debug = new URLSearchParams(location.search).has('debug');
    const w = new ComputeWorker({ debug });
    // `?debug` exposes the state to tests and devtools; it also lets tests simulate device loss.
    if (debug) {
      const g = globalThis as { tabmesh?: Record<string, unknown> };
      g.tabmesh = { ...g.tabmesh, compute: this };
    }
    this.#worker = w;
    w.addEventListener('devicelost', () => this.deviceLosses++);
    try {
      const ready = await w.start();
      this.status = { kind: 'loading-model', ready };
      const model = await w.loadModel({ url: new URL(modelUrl, location.href).href });
      this.status = { kind: 'ready', ready, model };
    } catch (e) {
      const err = e as Error;
      const reason = err.name === 'NoAdapterError' ? 'no-adapter' : err.name === 'WebGPUUnavailableError' ? 'no-webgpu' : 'error';
      this.status = { kind: 'unavailable', reason, message: err.message };
      w.stop();
    }
  }

  async classify(pixels: Float32Array): Promise<UnitResult> {
    const s = this.status;
    if (s.kind !== 'ready' || !this.#worker) throw new ComputeWorkerError('NotReadyError', 'the model is not loaded yet');
    return this.#worker.runUnit(s.model.modelId, pixels, 1);
  }

  /** Exposed for browser tests (enabled by `?debug`). */
  get worker(): ComputeWorker | null {
    return this.#worker;
  }
}

export const compute = new ComputeState();
