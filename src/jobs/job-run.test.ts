/**
 * The requester's state machine against scripted workers: honest, corrupt, silent, refusing,
 * departing and equivocating ones. Workers sign real secp256k1 claims; outputs are a toy model
 * (logit c of sample i = c · Σ input) so agreement is exact for honest workers.
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../mesh/blobs.ts';
import type { MessageOf } from '../mesh/messages.ts';
import { ClaimKey } from './claim.ts';
import { JobRun, type JobTransport, type ResolvedJobSpec } from './job-run.ts';
import { UNITS_AHEAD, type WorkerOffer } from './types.ts';

const CLASSES = 4;
const SAMPLE = 3;

/** `payout-signs`: honest outputs, but claims signed by its payout key rather than its operator key. */
type Behaviour = 'honest' | 'corrupt' | 'silent' | 'refuse' | 'equivocate' | 'slow' | 'payout-signs';

function toyLogits(input: Float32Array, batch: number, corrupt = false): Float32Array {
  const out = new Float32Array(batch * CLASSES);
  for (let i = 0; i < batch; i++) {
    let s = 0;
    for (let k = 0; k < SAMPLE; k++) s += input[i * SAMPLE + k] as number;
    // Sample i's class is (i mod CLASSES) weighted by its sum: argmax well defined.
    for (let c = 0; c < CLASSES; c++) out[i * CLASSES + c] = c === Math.round(s) % CLASSES ? 10 : c * 0.1;
    if (corrupt) out[i * CLASSES + ((Math.round(s) + 1) % CLASSES)] = 20;
  }
  return out;
}

class Swarm {
  run!: JobRun;
  /** `key` is the operator (claims, stake); `payoutKey` the address its receipts pay. */
  readonly workers = new Map<string, { key: ClaimKey; payoutKey: ClaimKey; behaviour: Behaviour; slots: number; gone: boolean; got: number[] }>();
  readonly cancels: string[] = [];
  /** Every ack the requester gave each worker's results. */
  readonly acks = new Map<string, { accepted: boolean; reason: string }[]>();
  maxConcurrent = new Map<string, number>();
  #live = new Map<string, number>();

  add(peer: string, behaviour: Behaviour, slots = 2): void {
    this.workers.set(peer, { key: ClaimKey.generate(), payoutKey: ClaimKey.generate(), behaviour, slots, gone: false, got: [] });
  }

  transport(): JobTransport {
    return {
      offers: () => [...this.workers].filter(([, w]) => !w.gone).map(([peer, w]): WorkerOffer => ({ peer, operator: w.key.address, payout: w.payoutKey.address, slots: w.slots, priceFloor: 0n, gflops: 1 })),
      assign: async (peer, msg) => {
        const w = this.workers.get(peer)!;
        if (w.gone) throw Object.assign(new Error('gone'), { name: 'PeerNotConnectedError' });
        if (w.behaviour === 'refuse') return { accepted: false, reason: 'busy' };
        const live = (this.#live.get(peer) ?? 0) + 1;
        this.#live.set(peer, live);
        this.maxConcurrent.set(peer, Math.max(this.maxConcurrent.get(peer) ?? 0, live));
        w.got.push(msg.unitIndex);
        if (w.behaviour !== 'silent') setTimeout(() => void this.#answer(peer, msg), w.behaviour === 'slow' ? 300 : 1);
        return { accepted: true, reason: '' };
      },
      cancel: async (peer) => {
        this.cancels.push(peer);
      },
      announce: async () => undefined,
    };
  }

  async #answer(peer: string, msg: MessageOf<'unit-assign'>): Promise<void> {
    const w = this.workers.get(peer)!;
    this.#live.set(peer, (this.#live.get(peer) ?? 1) - 1);
    if (w.gone) return;
    const input = new Float32Array(msg.input.slice().buffer);
    const send = async (logits: Float32Array) => {
      const output = new Uint8Array(logits.buffer);
      const outputHash = await sha256Hex(output);
      const claim = (w.behaviour === 'payout-signs' ? w.payoutKey : w.key).sign({ jobId: msg.jobId, unitIndex: msg.unitIndex, outputHash });
      const ack = this.run.onResult(peer, { jobId: msg.jobId, unitIndex: msg.unitIndex, output, outputHash, claim }, await sha256Hex(output));
      this.acks.set(peer, [...(this.acks.get(peer) ?? []), ack]);
      return ack;
    };
    // An equivocator signs a wrong output first and then the right one: the second claim must
    // not launder the first.
    if (w.behaviour === 'equivocate') await send(toyLogits(input, msg.batch, true));
    await send(toyLogits(input, msg.batch, w.behaviour === 'corrupt'));
  }
}

function spec(samples: number, over: Partial<ResolvedJobSpec> = {}): ResolvedJobSpec {
  const inputs = new Float32Array(samples * SAMPLE);
  for (let i = 0; i < samples; i++) inputs[i * SAMPLE] = i; // sample i sums to i
  return { inputs, samples, unitSize: 5, replication: 2, pricePerUnit: 1n, spotCheck: 0, deadlineMs: 20_000, ...over };
}

function start(swarm: Swarm, s: ResolvedJobSpec, extra: Partial<ConstructorParameters<typeof JobRun>[0]> = {}): JobRun {
  swarm.run = new JobRun({ jobId: 'ab'.repeat(32), spec: s, model: { modelId: 'cd'.repeat(32), classes: CLASSES, sampleSize: SAMPLE, task: 'classify' }, transport: swarm.transport(), self: 'me', unitTimeoutMs: 200, ...extra });
  swarm.run.start();
  return swarm.run;
}

const expected = (samples: number) => Array.from({ length: samples }, (_, i) => i % CLASSES);

describe('JobRun', () => {
  it('verifies every unit with r distinct honest workers and credits each once per unit', async () => {
    const s = new Swarm();
    for (const p of ['w1', 'w2', 'w3']) s.add(p, 'honest');
    const r = await start(s, spec(40)).result;
    expect(Array.from(r.argmax)).toEqual(expected(40));
    expect(r.units).toBe(8);
    expect(r.lostUnits).toBe(0);
    expect(r.mismatchesDetected).toBe(0);
    const credited = Object.values(r.credits).reduce((a, b) => a + b, 0);
    expect(credited).toBe(8 * 2);
    for (const [, w] of s.workers) expect(new Set(w.got).size, 'a worker never gets two replicas of one unit').toBe(w.got.length);
    for (const [p, w] of s.workers) expect(s.maxConcurrent.get(p) ?? 0, `${p}: units held at once ≤ slots + units ahead`).toBeLessThanOrEqual(w.slots + UNITS_AHEAD);
    for (let i = 0; i < 40; i++) expect(r.probs[i * CLASSES + (i % CLASSES)]).toBeGreaterThan(0.99);
  });

  it('detects a corrupt worker, brings in a tie-breaker, and never credits the loser', async () => {
    const s = new Swarm();
    s.add('good1', 'honest');
    s.add('good2', 'honest');
    s.add('bad', 'corrupt', 8);
    const r = await start(s, spec(30)).result;
    expect(Array.from(r.argmax)).toEqual(expected(30));
    expect(r.credits['bad']).toBeUndefined();
    expect(r.perWorker['bad']!.rejected).toBeGreaterThan(0);
    expect(r.mismatchesDetected).toBe(r.perWorker['bad']!.rejected);
  });

  it('reassigns units of a silent worker after the timeout, and of a worker that leaves at once', async () => {
    const s = new Swarm();
    s.add('silent', 'silent', 4);
    s.add('w1', 'honest');
    s.add('w2', 'slow');
    s.add('leaver', 'slow', 4);
    const run = start(s, spec(20));
    setTimeout(() => {
      s.workers.get('leaver')!.gone = true;
      run.workerLeft('leaver');
    }, 50);
    const r = await run.result;
    expect(Array.from(r.argmax)).toEqual(expected(20));
    expect(r.credits['silent']).toBeUndefined();
    expect(r.credits['leaver']).toBeUndefined();
    expect(r.lostUnits).toBe(0);
  });

  it('skips refusing workers and still completes', async () => {
    const s = new Swarm();
    s.add('no', 'refuse');
    s.add('w1', 'honest');
    s.add('w2', 'honest');
    const r = await start(s, spec(10)).result;
    expect(r.unitsVerified).toBe(2);
    expect(r.perWorker['no']?.assigned ?? 0).toBe(0);
  });

  it('checks claims against the operator address, not the payout address; records both per worker', async () => {
    const s = new Swarm();
    s.add('pay', 'payout-signs', 8);
    s.add('w1', 'honest');
    s.add('w2', 'honest');
    const r = await start(s, spec(10)).result;
    const w = s.workers.get('pay')!;
    expect(Array.from(r.argmax)).toEqual(expected(10));
    expect(w.got.length, 'the payout-signing worker was assigned units').toBeGreaterThan(0);
    // Each of its results was refused as it arrived, naming the operator: the payout key does not sign claims.
    const acks = s.acks.get('pay') ?? [];
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) expect(a).toMatchObject({ accepted: false, reason: expect.stringMatching(/not the operator address/) });
    expect(r.credits['pay'], 'never credited for claims its operator did not sign').toBeUndefined();
    expect(r.perWorker['pay']!.accepted).toBe(0);
    expect(r.perWorker['pay']).toMatchObject({ operator: w.key.address, payout: w.payoutKey.address });
    expect(r.perWorker['w1']).toMatchObject({ operator: s.workers.get('w1')!.key.address, payout: s.workers.get('w1')!.payoutKey.address });
    expect(r.credits['w1']).toBeGreaterThan(0);
  });

  it('keeps equivocation evidence and voids that worker’s credit for the unit', async () => {
    const s = new Swarm();
    s.add('eq', 'equivocate', 8);
    s.add('w1', 'honest');
    s.add('w2', 'honest');
    const r = await start(s, spec(10)).result;
    expect(r.equivocations).toBeGreaterThan(0);
    const ev = r.evidence[0]!;
    expect(ev.worker).toBe('eq');
    expect(ev.signer).toBe(s.workers.get('eq')!.key.address);
    expect(ev.claims[0]!.outputHash).not.toBe(ev.claims[1]!.outputHash);
    expect(Array.from(r.argmax)).toEqual(expected(10));
  });

  it('refuses results with a forged claim, a wrong size, or for units never assigned, changing nothing', async () => {
    const s = new Swarm();
    s.add('w1', 'silent');
    const run = start(s, spec(5, { replication: 1 }));
    await new Promise((r) => setTimeout(r, 20));
    const before = JSON.stringify(run.progress());
    const output = new Uint8Array(new Float32Array(5 * CLASSES).buffer);
    const outputHash = await sha256Hex(output);
    const forged = ClaimKey.generate().sign({ jobId: run.id, unitIndex: 0, outputHash });
    expect(run.onResult('w1', { jobId: run.id, unitIndex: 0, output, outputHash, claim: forged }, outputHash)).toMatchObject({ accepted: false });
    const key = s.workers.get('w1')!.key;
    const short = output.subarray(0, 8);
    const shortHash = await sha256Hex(short);
    expect(run.onResult('w1', { jobId: run.id, unitIndex: 0, output: short, outputHash: shortHash, claim: key.sign({ jobId: run.id, unitIndex: 0, outputHash: shortHash }) }, shortHash).reason).toMatch(/bytes/);
    expect(run.onResult('stranger', { jobId: run.id, unitIndex: 0, output, outputHash, claim: forged }, outputHash).reason).toMatch(/not assigned/);
    expect(run.onResult('w1', { jobId: run.id, unitIndex: 99, output, outputHash, claim: forged }, outputHash).reason).toMatch(/not part/);
    expect(run.onResult('w1', { jobId: run.id, unitIndex: 0, output, outputHash, claim: forged }, 'ee'.repeat(32)).reason).toMatch(/outputHash/);
    expect(JSON.stringify(run.progress())).toBe(before);
    await run.cancel();
    await expect(run.result).rejects.toMatchObject({ name: 'JobCancelledError' });
    expect(s.cancels).toContain('w1');
  });

  it('fails with JobDeadlineError naming unverified units when workers cannot form a quorum', async () => {
    const s = new Swarm();
    s.add('only', 'honest');
    await expect(start(s, spec(10, { deadlineMs: 300 })).result).rejects.toMatchObject({ name: 'JobDeadlineError', unverifiedUnits: [0, 1] });
  });

  it('fails with NoWorkersError when no worker ever appears', async () => {
    await expect(start(new Swarm(), spec(5, { deadlineMs: 100 })).result).rejects.toMatchObject({ name: 'NoWorkersError' });
  });

  it('spot-checks on the requester: a unit is accepted only when replicas agree with its own output', async () => {
    const s = new Swarm();
    s.add('bad1', 'corrupt');
    s.add('bad2', 'corrupt');
    s.add('good1', 'honest');
    s.add('good2', 'honest');
    let checks = 0;
    const run = start(s, spec(10, { spotCheck: 1 }), {
      localCheck: async (input, batch) => {
        checks++;
        return toyLogits(input, batch);
      },
    });
    const r = await run.result;
    expect(checks).toBe(2);
    expect(r.spotChecked).toBe(2);
    // Two colluding corrupt workers agree with each other, but never with the requester's own run.
    expect(Array.from(r.argmax)).toEqual(expected(10));
    expect(r.credits['bad1']).toBeUndefined();
    expect(r.credits['bad2']).toBeUndefined();
    // Caught by the requester's own run, not merely outvoted: recorded as such.
    expect(r.perWorker['bad1']!.spotCheckFailed ?? 0).toBeGreaterThan(0);
    expect(r.perWorker['good1']!.spotCheckFailed ?? 0).toBe(0);
  });

  it('paces units ahead: a one-slot worker gets its next unit before it finishes the current one, never more than one ahead, never before its first result', async () => {
    // Serial workers, like a tab's one compute worker: one unit computes at a time, others wait.
    const COMPUTE_MS = 60;
    type W = { key: ClaimKey; queue: MessageOf<'unit-assign'>[]; busy: boolean; held: number; maxHeld: number; results: number; heldAtFirstResult: number; aheadSends: number };
    const ws = new Map<string, W>(['s1', 's2'].map((p) => [p, { key: ClaimKey.generate(), queue: [], busy: false, held: 0, maxHeld: 0, results: 0, heldAtFirstResult: 0, aheadSends: 0 }]));
    let run!: JobRun;
    const next = (peer: string): void => {
      const w = ws.get(peer)!;
      const msg = w.queue.shift();
      if (!msg) return void (w.busy = false);
      w.busy = true;
      setTimeout(async () => {
        const input = new Float32Array(msg.input.slice().buffer);
        const output = new Uint8Array(toyLogits(input, msg.batch).buffer);
        const outputHash = await sha256Hex(output);
        w.held--;
        w.results++;
        next(peer); // the next unit starts computing before this result is delivered
        run.onResult(peer, { jobId: msg.jobId, unitIndex: msg.unitIndex, output, outputHash, claim: w.key.sign({ jobId: msg.jobId, unitIndex: msg.unitIndex, outputHash }) }, outputHash);
      }, COMPUTE_MS);
    };
    const transport: JobTransport = {
      offers: () => [...ws].map(([peer, w]) => ({ peer, operator: w.key.address, payout: w.key.address, slots: 1, priceFloor: 0n, gflops: 1 })),
      assign: async (peer, msg) => {
        const w = ws.get(peer)!;
        if (w.held >= 1 + UNITS_AHEAD) return { accepted: false, reason: 'busy' };
        if (w.results === 0 && w.held >= 1) w.heldAtFirstResult = Math.max(w.heldAtFirstResult, w.held + 1);
        if (w.busy) w.aheadSends++;
        w.held++;
        w.maxHeld = Math.max(w.maxHeld, w.held);
        w.queue.push(msg);
        if (!w.busy) next(peer);
        return { accepted: true, reason: '' };
      },
      cancel: async () => undefined,
      announce: async () => undefined,
    };
    run = new JobRun({ jobId: 'ef'.repeat(32), spec: spec(50), model: { modelId: 'cd'.repeat(32), classes: CLASSES, sampleSize: SAMPLE, task: 'classify' }, transport, self: 'me', unitTimeoutMs: 10_000 });
    run.start();
    const r = await run.result;
    expect(Array.from(r.argmax)).toEqual(expected(50));
    expect(Object.values(r.perWorker).map((t) => t.rejected), 'refusals or rejections').toEqual([0, 0]);
    for (const [p, w] of ws) {
      expect(w.results, `${p}: units run`).toBe(10);
      expect(w.maxHeld, `${p}: units held at once`).toBe(1 + UNITS_AHEAD);
      expect(w.heldAtFirstResult, `${p}: units ahead before its first result (nothing measured yet)`).toBe(0);
      expect(w.aheadSends, `${p}: units that arrived while another computed`).toBeGreaterThan(0);
    }
  });
});
