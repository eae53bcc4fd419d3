/**
 * The compute engine on real WebGPU (Dawn): the worker's protocol end to end without the
 * worker shell, including device loss in the middle of a unit.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnGpu } from '../test/support/dawn.ts';
import { ComputeEngine } from './engine.ts';
import type { WorkerReply, ErrorReply, ResultReply, ModelLoadedReply, ReadyReply } from './protocol.ts';
import { decodeDigitsDataset, imageToInput, DIGITS_PIXELS } from '../src/models/digits/dataset.ts';

const modelDir = fileURLToPath(new URL('../public/models/digits-cnn/', import.meta.url));
const manifestBytes = readFileSync(modelDir + 'manifest.json');
const weightBytes = readFileSync(modelDir + 'weights.safetensors');
const heldOut = decodeDigitsDataset(new Uint8Array(readFileSync(fileURLToPath(new URL('../public/datasets/mnist-heldout.safetensors', import.meta.url)))));

function ab(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Drives an engine and collects its replies by request id. */
class Driver {
  readonly replies: WorkerReply[] = [];
  readonly engine = new ComputeEngine({ gpu: dawnGpu(), post: (r) => this.#onReply(r) });
  #waiters: { match: (r: WorkerReply) => boolean; resolve: (r: WorkerReply) => void }[] = [];
  #seq = 100;

  #onReply(r: WorkerReply) {
    this.replies.push(r);
    this.#waiters = this.#waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
  }

  next(match: (r: WorkerReply) => boolean): Promise<WorkerReply> {
    const found = this.replies.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Sends a request and resolves with its final reply (not progress). */
  async request(msg: Record<string, unknown>): Promise<WorkerReply> {
    const id = (msg.id as number | undefined) ?? ++this.#seq;
    const done = this.next((r) => r.id === id && r.type !== 'progress');
    await this.engine.handle({ ...msg, id });
    return done;
  }
}

function inputs(from: number, n: number): Float32Array {
  const x = new Float32Array(n * DIGITS_PIXELS);
  for (let i = 0; i < n; i++) imageToInput(heldOut, from + i, x, i * DIGITS_PIXELS);
  return x;
}

describe('ComputeEngine', () => {
  const d = new Driver();
  let modelId: string;

  beforeAll(async () => {
    const ready = (await d.request({ type: 'init', debug: true })) as ReadyReply;
    expect(ready.type).toBe('ready');
    expect(ready.score?.gflops).toBeGreaterThan(0);
    const loaded = (await d.request({ type: 'load-model', source: { manifest: ab(manifestBytes), files: { 'weights.safetensors': ab(weightBytes) } } })) as ModelLoadedReply;
    expect(loaded.type, JSON.stringify(loaded)).toBe('model-loaded');
    modelId = loaded.modelId;
  });
  afterAll(() => d.engine.stop());

  it('answers malformed requests with errors that name the field', async () => {
    const bad = [
      [{ type: 'run-unit', modelId: 'x', input: new ArrayBuffer(4), batch: 1 }, /request\.modelId/],
      [{ type: 'run-unit', modelId: 'a'.repeat(64), input: [1, 2], batch: 1 }, /request\.input/],
      [{ type: 'run-unit', modelId: 'a'.repeat(64), input: new ArrayBuffer(3), batch: 1 }, /multiple of 4/],
      [{ type: 'run-unit', modelId: 'a'.repeat(64), input: new ArrayBuffer(4), batch: 0 }, /request\.batch/],
      [{ type: 'nope' }, /request\.type/],
      [{ type: 'load-model', source: { manifest: new TextEncoder().encode('{').buffer, files: {} } }, /manifest/],
    ] as const;
    for (const [msg, re] of bad) {
      const r = (await d.request(msg as unknown as Record<string, unknown>)) as ErrorReply;
      expect(r.type).toBe('error');
      expect(r.message).toMatch(re);
    }
    const unknown = (await d.request({ type: 'run-unit', modelId: 'a'.repeat(64), input: new ArrayBuffer(DIGITS_PIXELS * 4), batch: 1 })) as ErrorReply;
    expect(unknown.name).toBe('UnknownModelError');
  });

  it('refuses a unit whose input does not match its batch', async () => {
    const r = (await d.request({ type: 'run-unit', modelId, input: new ArrayBuffer(DIGITS_PIXELS * 4 * 2), batch: 3 })) as ErrorReply;
    expect(r.type).toBe('error');
    expect(r.message).toMatch(/3 samples/);
  });

  it('runs a unit and reports progress, probabilities and the right answers', async () => {
    const n = 40;
    const r = (await d.request({ type: 'run-unit', modelId, input: inputs(0, n).buffer, batch: n })) as ResultReply;
    expect(r.type).toBe('result');
    const probs = new Float32Array(r.probs);
    expect(probs.length).toBe(n * 10);
    for (let i = 0; i < n; i++) {
      const row = probs.subarray(i * 10, i * 10 + 10);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const correct = r.argmax.filter((p, i) => p === heldOut.labels[i]).length;
    expect(correct).toBeGreaterThanOrEqual(n - 2);
    expect(r.deviceLosses).toBe(0);
  });

  it('reruns a unit on a fresh device when the device is lost mid-unit', async () => {
    const n = 1024; // four slices of 256: the loss lands between slices
    const id = 9001;
    const result = d.next((r) => r.id === id && r.type !== 'progress');
    const running = d.next((r) => r.id === id && r.type === 'progress' && r.stage === 'running' && r.fraction > 0);
    void d.engine.handle({ type: 'run-unit', id, modelId, input: inputs(0, n).buffer, batch: n });
    await running;
    await d.request({ type: 'debug', action: 'lose-device' });
    const r = (await result) as ResultReply;
    expect(r.type, JSON.stringify(r).slice(0, 300)).toBe('result');
    expect(r.deviceLosses).toBeGreaterThanOrEqual(1);
    expect(d.replies.some((x) => x.type === 'device-lost')).toBe(true);
    const correct = r.argmax.filter((p, i) => p === heldOut.labels[i]).length;
    expect(correct / n).toBeGreaterThan(0.97);
  });

  it('cancels a queued unit and a running one', async () => {
    const n = 1024;
    const a = 9101, b = 9102;
    const aDone = d.next((r) => r.id === a && r.type !== 'progress');
    const bDone = d.next((r) => r.id === b && r.type !== 'progress');
    void d.engine.handle({ type: 'run-unit', id: a, modelId, input: inputs(0, n).buffer, batch: n });
    void d.engine.handle({ type: 'run-unit', id: b, modelId, input: inputs(0, n).buffer, batch: n });
    await d.engine.handle({ type: 'cancel', id: 9103, target: b });
    await d.engine.handle({ type: 'cancel', id: 9104, target: a });
    expect(((await aDone) as ErrorReply).name).toBe('CancelledError');
    expect(((await bDone) as ErrorReply).name).toBe('CancelledError');
  });
});
