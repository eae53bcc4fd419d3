/// <reference lib="webworker" />
/**
 * The compute worker: owns the GPUDevice and runs work units off the page's main thread, so a
 * long unit never freezes the page (and libp2p, which must live on the main thread). All logic
 * lives in ComputeEngine; this file only wires it to the worker's message port.
 */
import { ComputeEngine } from './engine.ts';
import { IndexedDbTuningStore } from '../src/gpu/tuning-store.ts';

declare const self: DedicatedWorkerGlobalScope;

const engine = new ComputeEngine({
  post: (reply, transfer = []) => self.postMessage(reply, transfer),
  tuningStore: new IndexedDbTuningStore(),
});

self.onmessage = (e: MessageEvent<unknown>) => {
  void engine.handle(e.data);
};
