/**
 * The typed message protocol between a page (or the mesh node) and `compute.worker.ts`.
 *
 * Every request carries an `id`; every reply names the request it answers. Messages cross a
 * thread boundary and unit inputs come from the network, so the worker validates each request
 * with {@link parseRequest} before acting and answers anything malformed with an error that
 * names the field, instead of throwing inside its message handler.
 */
import type { AdapterReport } from '../src/gpu/device.ts';
import type { BenchmarkScore } from '../src/gpu/autotune.ts';

/** Largest unit input accepted, in bytes (64 MiB): a unit is a slice of a batch, not a dataset. */
export const MAX_UNIT_INPUT_BYTES = 64 * 1024 * 1024;
/** Largest model file accepted when sent inline, in bytes. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

export interface InitRequest {
  type: 'init';
  id: number;
  /** Run the autotuner (a few hundred ms on a CPU adapter; cached per adapter). Default true. */
  autotune?: boolean;
  /** Accept an OpenGL-ES-backed adapter (compatibility feature level). */
  featureLevel?: 'core' | 'compatibility';
  /** Enables `debug` requests (tests simulate device loss with them). Off in production. */
  debug?: boolean;
}

/**
 * Where a model comes from: a URL to its manifest, or the manifest's bytes and its files already
 * in hand (from the mesh or IndexedDB). The model's id is the sha-256 of the manifest bytes
 * either way, so the same model has the same id wherever it was found.
 */
export type ModelSource = { url: string } | { manifest: ArrayBuffer; files: Record<string, ArrayBuffer> };

export interface LoadModelRequest {
  type: 'load-model';
  id: number;
  source: ModelSource;
}

/** One work unit: a batch of inputs for a loaded model. */
export interface RunUnitRequest {
  type: 'run-unit';
  id: number;
  /** The model's id as returned by `model-loaded` (the sha-256 of its manifest). */
  modelId: string;
  /** Inputs as f32, `batch` samples of the model's input shape, back to back. */
  input: ArrayBuffer;
  batch: number;
}

export interface CancelRequest {
  type: 'cancel';
  id: number;
  /** The id of the `run-unit` request to stop. */
  target: number;
}

export interface DebugRequest {
  type: 'debug';
  id: number;
  action: 'lose-device';
}

export type WorkerRequest = InitRequest | LoadModelRequest | RunUnitRequest | CancelRequest | DebugRequest;

export interface ReadyReply {
  type: 'ready';
  id: number;
  adapter: AdapterReport;
  score: BenchmarkScore | null;
}

export interface ModelLoadedReply {
  type: 'model-loaded';
  id: number;
  modelId: string;
  name: string;
  architecture: string;
  inputShape: number[];
  labels: string[];
}

export type UnitStage = 'queued' | 'running' | 'reading';

export interface ProgressReply {
  type: 'progress';
  id: number;
  stage: UnitStage;
  /** Share of the unit's samples done, 0..1. */
  fraction: number;
}

export interface UnitTimings {
  /** Time waiting behind other units. */
  queuedMs: number;
  /** Upload, kernels and read-back. */
  computeMs: number;
  totalMs: number;
}

export interface ResultReply {
  type: 'result';
  id: number;
  /** Logits, f32, [batch, classes]. */
  logits: ArrayBuffer;
  /** Softmax probabilities, f32, [batch, classes]. */
  probs: ArrayBuffer;
  /** Predicted class per sample. */
  argmax: number[];
  classes: number;
  timings: UnitTimings;
  /** Device losses survived while running this unit (the unit was rerun on a fresh device). */
  deviceLosses: number;
}

/** Sent unprompted when the device is lost; the worker reopens one by itself. */
export interface DeviceLostReply {
  type: 'device-lost';
  id: 0;
  reason: string;
  recovered: boolean;
}

export interface ErrorReply {
  type: 'error';
  id: number;
  /** The stable `name` of the error class (e.g. 'NoAdapterError', 'CancelledError'). */
  name: string;
  message: string;
}

export interface DebugReply {
  type: 'debug-done';
  id: number;
}

export type WorkerReply = ReadyReply | ModelLoadedReply | ProgressReply | ResultReply | DeviceLostReply | ErrorReply | DebugReply;

/** A request that failed validation; the worker answers it with an ErrorReply. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

/** A unit was cancelled before it finished. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

function fail(field: string, why: string): never {
  throw new InvalidRequestError(`${field} ${why}`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function requireId(m: Record<string, unknown>): number {
  const id = m.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) fail('request.id', `must be a positive integer, got ${String(id)}`);
  return id;
}

/**
 * Validates a message received by the worker. Returns the typed request, or throws
 * InvalidRequestError naming the field.
 *
 * @example
 * parseRequest({ type: 'cancel', id: 3, target: 2 }); // → CancelRequest
 * parseRequest({ type: 'run-unit', id: 1 });          // throws: request.modelId must be ...
 */
export function parseRequest(m: unknown): WorkerRequest {
  if (!isRecord(m)) fail('request', 'must be an object');
  const id = requireId(m);
  switch (m.type) {
    case 'init': {
      if (m.autotune !== undefined && typeof m.autotune !== 'boolean') fail('request.autotune', 'must be a boolean');
      if (m.debug !== undefined && typeof m.debug !== 'boolean') fail('request.debug', 'must be a boolean');
      if (m.featureLevel !== undefined && m.featureLevel !== 'core' && m.featureLevel !== 'compatibility') fail('request.featureLevel', "must be 'core' or 'compatibility'");
      return { type: 'init', id, ...(m.autotune !== undefined ? { autotune: m.autotune as boolean } : {}), ...(m.debug !== undefined ? { debug: m.debug as boolean } : {}), ...(m.featureLevel ? { featureLevel: m.featureLevel as 'core' | 'compatibility' } : {}) };
    }
    case 'load-model': {
      const s = m.source;
      if (!isRecord(s)) fail('request.source', 'must be an object');
      if ('url' in s) {
        if (typeof s.url !== 'string' || s.url.length === 0 || s.url.length > 2048) fail('request.source.url', 'must be a non-empty string of at most 2048 characters');
        return { type: 'load-model', id, source: { url: s.url } };
      }
      if (!(s.manifest instanceof ArrayBuffer)) fail('request.source.manifest', 'must be an ArrayBuffer holding the manifest JSON');
      if (!isRecord(s.files)) fail('request.source.files', 'must be an object of ArrayBuffers');
      let total = s.manifest.byteLength;
      for (const [k, v] of Object.entries(s.files)) {
        if (!(v instanceof ArrayBuffer)) fail(`request.source.files[${JSON.stringify(k)}]`, 'must be an ArrayBuffer');
        total += v.byteLength;
      }
      if (total > MAX_MODEL_BYTES) fail('request.source.files', `total ${total} bytes exceeds ${MAX_MODEL_BYTES}`);
      return { type: 'load-model', id, source: { manifest: s.manifest, files: s.files as Record<string, ArrayBuffer> } };
    }
    case 'run-unit': {
      if (typeof m.modelId !== 'string' || !/^[0-9a-f]{64}$/.test(m.modelId)) fail('request.modelId', 'must be a 64-character lowercase hex sha-256');
      if (!(m.input instanceof ArrayBuffer)) fail('request.input', 'must be an ArrayBuffer');
      if (m.input.byteLength > MAX_UNIT_INPUT_BYTES) fail('request.input', `is ${m.input.byteLength} bytes, more than ${MAX_UNIT_INPUT_BYTES}`);
      if (m.input.byteLength % 4 !== 0) fail('request.input', 'byte length must be a multiple of 4 (f32)');
      if (typeof m.batch !== 'number' || !Number.isSafeInteger(m.batch) || m.batch < 1) fail('request.batch', `must be a positive integer, got ${String(m.batch)}`);
      return { type: 'run-unit', id, modelId: m.modelId, input: m.input, batch: m.batch };
    }
    case 'cancel': {
      if (typeof m.target !== 'number' || !Number.isSafeInteger(m.target) || m.target < 1) fail('request.target', 'must be a positive integer');
      return { type: 'cancel', id, target: m.target };
    }
    case 'debug': {
      if (m.action !== 'lose-device') fail('request.action', "must be 'lose-device'");
      return { type: 'debug', id, action: 'lose-device' };
    }
    default:
      fail('request.type', `is not a known request type: ${JSON.stringify(String(m.type)).slice(0, 40)}`);
  }
}
