/**
 * The worker's side: accepts unit assignments within its slots, makes sure it holds the model
 * (fetched from peers by content hash), checks the input against the model before saying yes,
 * runs the unit in the compute worker, signs a claim over the output and delivers the result to
 * the requester that assigned it.
 *
 * The ack means "I hold the model and the input fits it; the result will follow". A refusal
 * (busy, wrong input size, model unavailable) lets the requester reassign at once. It holds
 * `slots` units plus {@link UNITS_AHEAD} waiting; a unit's slot frees when its compute is done,
 * before its result is delivered.
 */
import type { MessageOf } from '../mesh/messages.ts';
import { sha256Hex } from '../mesh/blobs.ts';
import type { ModelSource } from '../../workers/protocol.ts';
import type { ClaimKey } from './claim.ts';
import type { ModelBundle } from './model-store.ts';
import { UNITS_AHEAD, type ContributorInfo, type ExecutedUnit } from './types.ts';

type Ack = MessageOf<'ack'>;

/** What the executor needs of the compute worker (ComputeWorker satisfies it). */
export interface ExecutorCompute {
  loadModel(source: ModelSource): Promise<{ modelId: string; inputShape: number[]; labels: string[] }>;
  runUnit(modelId: string, input: Float32Array, batch: number, opts: { signal?: AbortSignal }): Promise<{ logits: Float32Array; classes: number; timings: { computeMs: number } }>;
}

export interface UnitExecutorInit {
  compute: ExecutorCompute;
  key: ClaimKey;
  /** Units computed at once (the advertised free slots); {@link UNITS_AHEAD} more are accepted, waiting. */
  slots: number;
  /** The model, from the cache or from peers (the requester holds it). */
  fetchModel(modelId: string, requester: string, signal: AbortSignal): Promise<ModelBundle>;
  /** Sends a unit-result to the requester; resolves with its ack. */
  deliver(peer: string, msg: MessageOf<'unit-result'>): Promise<Ack>;
  /** Test-only: return wrong outputs (each sample's logits rotated by one class), honestly signed. */
  faults?: { corruptResults?: boolean };
  /** Called whenever the info changes. */
  onChange?: () => void;
  log?: (line: string) => void;
}

interface Running {
  jobId: string;
  unitIndex: number;
  requester: string;
  abort: AbortController;
}

const RECENT = 1000;

export class UnitExecutor {
  readonly #init: UnitExecutorInit;
  readonly #models = new Map<string, Promise<{ sampleSize: number; classes: number }>>();
  readonly #running = new Map<string, Running>();
  readonly #recent: ExecutedUnit[] = [];
  #done = 0;
  #failed = 0;
  #stopped = false;

  constructor(init: UnitExecutorInit) {
    this.#init = init;
  }

  get slots(): number {
    return this.#init.slots;
  }

  info(): Omit<ContributorInfo, 'contributing' | 'adapter' | 'score'> {
    return { slots: this.#init.slots, unitsDone: this.#done, unitsRunning: this.#running.size, unitsFailed: this.#failed, address: this.#init.key.address, recent: this.#recent.slice() };
  }

  /** Handles `unit-assign` from `from`. Never throws: every problem is a refusal with a reason. */
  async onAssign(msg: MessageOf<'unit-assign'>, from: string, signal?: AbortSignal): Promise<Ack> {
    if (this.#stopped) return { accepted: false, reason: 'not contributing' };
    const key = `${msg.jobId}/${msg.unitIndex}/${from}`;
    if (this.#running.has(key)) return { accepted: true, reason: 'already running' };
    // `slots` units compute; UNITS_AHEAD more may wait for one (the requester sends those just before a slot frees).
    const capacity = this.#init.slots + UNITS_AHEAD;
    if (this.#running.size >= capacity) return { accepted: false, reason: `busy: ${this.#running.size} units held, ${this.#init.slots} slot(s) + ${UNITS_AHEAD} ahead` };
    const run: Running = { jobId: msg.jobId, unitIndex: msg.unitIndex, requester: from, abort: new AbortController() };
    // Hold the slot while the model loads, so concurrent assignments cannot oversubscribe.
    this.#running.set(key, run);
    this.#init.onChange?.();
    const receivedAt = Date.now();
    let model: { sampleSize: number; classes: number };
    try {
      model = await this.#model(msg.modelId, from, signal ?? run.abort.signal);
    } catch (e) {
      this.#running.delete(key);
      this.#init.onChange?.();
      return { accepted: false, reason: `model ${msg.modelId.slice(0, 12)} unavailable: ${(e as Error).message}`.slice(0, 250) };
    }
    const want = msg.batch * model.sampleSize * 4;
    if (msg.input.byteLength !== want) {
      this.#running.delete(key);
      this.#init.onChange?.();
      return { accepted: false, reason: `input is ${msg.input.byteLength} bytes; ${msg.batch} samples of this model need ${want}` };
    }
    // Copy: the message's bytes may sit at an unaligned offset of a larger buffer.
    const input = new Float32Array(msg.input.slice().buffer);
    if (!input.every(Number.isFinite)) {
      this.#running.delete(key);
      this.#init.onChange?.();
      return { accepted: false, reason: 'input holds a non-finite value' };
    }
    void this.#run(key, run, msg, input, receivedAt);
    return { accepted: true, reason: '' };
  }

  /** Handles `cancel` (direct or gossip). Only the requester that assigned a unit can cancel it. */
  onCancel(jobId: string, from: string): number {
    let n = 0;
    for (const [k, r] of this.#running) {
      if (r.jobId === jobId && r.requester === from) {
        r.abort.abort();
        this.#running.delete(k);
        n++;
      }
    }
    if (n > 0) {
      this.#init.log?.(`cancelled ${n} unit(s) of job ${jobId.slice(0, 8)}`);
      this.#init.onChange?.();
    }
    return n;
  }

  /** Frees `run`'s slot, once, and only its own (a later assignment of the same unit may hold the key now). */
  #release(key: string, run: Running): void {
    if (this.#running.get(key) !== run) return;
    this.#running.delete(key);
    this.#init.onChange?.();
  }

  /** Stops taking units and aborts those running. */
  stop(): void {
    this.#stopped = true;
    for (const r of this.#running.values()) r.abort.abort();
    this.#running.clear();
    this.#init.onChange?.();
  }

  #model(modelId: string, requester: string, signal: AbortSignal): Promise<{ sampleSize: number; classes: number }> {
    let p = this.#models.get(modelId);
    if (!p) {
      p = (async () => {
        const b = await this.#init.fetchModel(modelId, requester, signal);
        const files: Record<string, ArrayBuffer> = {};
        for (const [path, bytes] of Object.entries(b.files)) files[path] = bytes.slice().buffer;
        const loaded = await this.#init.compute.loadModel({ manifest: b.manifestBytes.slice().buffer, files });
        if (loaded.modelId !== modelId) throw new Error(`the compute worker loaded ${loaded.modelId.slice(0, 12)}, not ${modelId.slice(0, 12)}`);
        return { sampleSize: loaded.inputShape.reduce((a, x) => a * x, 1), classes: loaded.labels.length };
      })();
      this.#models.set(modelId, p);
      // A failed load may succeed later (another holder, a transient error): do not cache failure.
      p.catch(() => this.#models.delete(modelId));
    }
    return p;
  }

  async #run(key: string, run: Running, msg: MessageOf<'unit-assign'>, input: Float32Array, receivedAt: number): Promise<void> {
    const rec: ExecutedUnit = { jobId: msg.jobId, unitIndex: msg.unitIndex, requester: run.requester, receivedAt, computeMs: 0, deliveredAt: null };
    try {
      const r = await this.#init.compute.runUnit(msg.modelId, input, msg.batch, { signal: run.abort.signal });
      rec.computeMs = r.timings.computeMs;
      let logits = r.logits;
      if (this.#init.faults?.corruptResults) logits = rotateClasses(logits, r.classes);
      const output = new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength);
      const outputHash = await sha256Hex(output);
      const claim = this.#init.key.sign({ jobId: msg.jobId, unitIndex: msg.unitIndex, outputHash });
      if (run.abort.signal.aborted) throw new Error('cancelled');
      // The slot is the compute worker's: free it now, so the requester's next unit (sent as soon as
      // it has this result) is accepted while this one is still being delivered, instead of being
      // refused as busy by a race with the ack.
      this.#release(key, run);
      const result = { jobId: msg.jobId, unitIndex: msg.unitIndex, output, outputHash, claim };
      let ack: Ack | null = null;
      for (let attempt = 0; attempt < 3 && !ack; attempt++) {
        try {
          ack = await this.#init.deliver(run.requester, result);
        } catch (e) {
          if (attempt === 2) throw e;
          await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
        }
      }
      rec.deliveredAt = Date.now();
      this.#done++;
      if (ack && !ack.accepted) this.#init.log?.(`unit ${msg.unitIndex} of job ${msg.jobId.slice(0, 8)}: requester said ${ack.reason}`);
    } catch (e) {
      if (!run.abort.signal.aborted) {
        this.#failed++;
        this.#init.log?.(`unit ${msg.unitIndex} of job ${msg.jobId.slice(0, 8)} failed: ${(e as Error).name}: ${(e as Error).message}`);
      }
    } finally {
      this.#release(key, run);
      this.#recent.push(rec);
      if (this.#recent.length > RECENT) this.#recent.shift();
      this.#init.onChange?.();
    }
  }
}

/** The test-only corruption: every sample's logits shifted one class along, so its argmax moves. */
function rotateClasses(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let base = 0; base < logits.length; base += classes) {
    for (let c = 0; c < classes; c++) out[base + ((c + 1) % classes)] = logits[base + c] as number;
  }
  return out;
}
