/**
 * Replica verification: when do two workers' outputs for one unit agree, and when is a unit's
 * answer settled?
 *
 * Agreement: same shape, the same argmax for every sample, and every logit within
 * `abs + rel·|x|` of the other's. Replicas on different adapters accumulate in different orders,
 * so exact equality is too strict across vendors; the tolerance (1e-3 abs, 1e-3 rel) is far
 * below the logit gaps that decide a class, and far above f32 reassociation noise (the digits
 * graph matches its f64 reference to 2e-3 at worst across 2,000 samples, and replicas on one
 * adapter agree bit for bit). A changed argmax always disagrees, whatever the tolerance.
 *
 * Decision: results are grouped into clusters of mutually agreeing outputs (each compared with
 * the cluster's first member). A cluster with `quorum` members (the replication factor) wins;
 * members of other clusters lose. A unit the requester spot-checked only accepts the cluster
 * that agrees with the requester's own output.
 */

export const LOGIT_ABS_TOLERANCE = 1e-3;
export const LOGIT_REL_TOLERANCE = 1e-3;

/** Does `a` agree with `b` (f32 logits, `classes` per sample)? */
export function outputsAgree(a: Float32Array, b: Float32Array, classes: number): boolean {
  if (a.length !== b.length || classes < 1 || a.length % classes !== 0) return false;
  for (let base = 0; base < a.length; base += classes) {
    let ia = 0;
    let ib = 0;
    for (let c = 0; c < classes; c++) {
      const x = a[base + c] as number;
      const y = b[base + c] as number;
      if (!(Math.abs(x - y) <= LOGIT_ABS_TOLERANCE + LOGIT_REL_TOLERANCE * Math.abs(y))) return false;
      if (x > (a[base + ia] as number)) ia = c;
      if (y > (b[base + ib] as number)) ib = c;
    }
    if (ia !== ib) return false;
  }
  return true;
}

export interface Replica {
  worker: string;
  logits: Float32Array;
}

export type UnitVerdict =
  | { kind: 'accepted'; logits: Float32Array; winners: string[]; losers: string[] }
  /** Not settled: `disagreement` says whether the replicas in hand conflict (so another one is needed). */
  | { kind: 'pending'; disagreement: boolean; largest: number };

/**
 * Decides a unit from its replicas, in arrival order.
 *
 * @example
 * decideUnit([{ worker: 'a', logits }, { worker: 'b', logits }], 10, 2).kind; // 'accepted'
 */
export function decideUnit(replicas: readonly Replica[], classes: number, quorum: number, reference?: Float32Array): UnitVerdict {
  const clusters: Replica[][] = [];
  for (const r of replicas) {
    const home = clusters.find((c) => outputsAgree(r.logits, (c[0] as Replica).logits, classes));
    if (home) home.push(r);
    else clusters.push([r]);
  }
  const eligible = reference ? clusters.filter((c) => outputsAgree((c[0] as Replica).logits, reference, classes)) : clusters;
  const winner = eligible.find((c) => c.length >= Math.max(1, quorum));
  if (winner) {
    const winners = winner.map((r) => r.worker);
    return { kind: 'accepted', logits: (winner[0] as Replica).logits, winners, losers: replicas.filter((r) => !winner.includes(r)).map((r) => r.worker) };
  }
  const largest = Math.max(0, ...eligible.map((c) => c.length));
  return { kind: 'pending', disagreement: clusters.length > 1 || (reference !== undefined && eligible.length === 0 && replicas.length > 0), largest };
}

/** Softmax of each row, computed in f64 from f32 logits. */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let base = 0; base < logits.length; base += classes) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[base + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((logits[base + c] as number) - m);
    for (let c = 0; c < classes; c++) out[base + c] = Math.exp((logits[base + c] as number) - m) / sum;
  }
  return out;
}

/** First index of the maximum of each row. */
export function argmaxRows(logits: Float32Array, classes: number): Uint32Array {
  const out = new Uint32Array(logits.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((logits[i * classes + c] as number) > (logits[i * classes + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}
