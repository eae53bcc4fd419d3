/** The jobs layer's public shapes (see CONTRACT.md): what a requester submits and observes. */

export interface JobSpec {
  /** Manifest URL; workers fetch the manifest and its files by content hash from peers (the requester serves them). */
  model: { url: string };
  /** `samples × product(model input shape)` f32 values. */
  inputs: Float32Array;
  samples: number;
  /** Samples per work unit. Default 50. */
  unitSize?: number;
  /** Distinct workers per unit. Default 2. */
  replication?: number;
  /** Price per unit in token base units. Default 1e15. */
  pricePerUnit?: bigint;
  /** Share of units the requester re-runs on its own GPU, 0..1. Default 0. */
  spotCheck?: number;
  /** Whole-job deadline from submission, ms. Default 10 minutes. */
  deadlineMs?: number;
  /** Ground truth, only for reporting accuracy. */
  labels?: Uint8Array;
}

export type UnitState = 'queued' | 'fetching-model' | 'running' | 'verifying' | 'done' | 'failed';
export const UNIT_STATES: readonly UnitState[] = ['queued', 'fetching-model', 'running', 'verifying', 'done', 'failed'];

export interface UnitProgress {
  index: number;
  state: UnitState;
  /** Workers that hold or held an assignment of this unit. */
  workers: string[];
  /** Assignments made so far (replicas, reassignments and tie-breakers included). */
  attempts: number;
}

export interface JobProgress {
  jobId: string;
  units: UnitProgress[];
  counts: Record<UnitState, number>;
  done: boolean;
}

export interface WorkerTally {
  assigned: number;
  /** Results that agreed with the verified answer (credited). */
  accepted: number;
  /** Results that lost verification (never credited). */
  rejected: number;
  /** The operator address its claims recover to (stake, slashing), when it was known at assignment. */
  operator?: string;
  /** Where its receipts pay (the operator, or a wallet it linked), when it was known at assignment. */
  payout?: string;
  /**
   * Results that disagreed with the requester's own run of a spot-checked unit. Unlike losing a
   * vote among replicas, this is the requester's first-hand evidence that the worker lied, and it
   * forfeits the worker's pay for the whole job (src/node/offers.ts receiptCredits).
   */
  spotCheckFailed?: number;
}

/** Two valid claims from one worker for one unit with different output hashes. */
export interface EquivocationEvidence {
  jobId: string;
  unitIndex: number;
  worker: string;
  signer: string;
  claims: { outputHash: string; signature: Uint8Array }[];
}

export interface JobResult {
  jobId: string;
  /** Predicted class per sample. */
  argmax: Uint32Array;
  /** `samples × classes` softmax probabilities of the verified logits. */
  probs: Float32Array;
  classes: number;
  /** When labels were given. */
  accuracy?: number;
  /** peer id → verified units credited (at most once per unit per worker). */
  credits: Record<string, number>;
  perWorker: Record<string, WorkerTally>;
  /** Results that disagreed with the verified answer (replica or spot-check mismatches). */
  mismatchesDetected: number;
  /** Conflicting signed claims kept as evidence. */
  equivocations: number;
  evidence: EquivocationEvidence[];
  /** Units that ended unverified: 0 for a job that resolves. */
  lostUnits: number;
  units: number;
  unitsVerified: number;
  spotChecked: number;
  unitsPerSecond: number;
  /** Per unit, first assignment → verified. */
  latencyMs: { p50: number; p95: number };
  wallMs: number;
}

export interface JobHandle extends EventTarget {
  readonly id: string;
  /** 'progress' events carry JobProgress in `detail`. */
  progress(): JobProgress;
  readonly result: Promise<JobResult>;
  cancel(): Promise<void>;
}

/**
 * Units a worker accepts beyond its advertised slots. Such a unit waits on the worker for a slot;
 * a requester sends it shortly before it expects the worker's current unit to finish, so the
 * unit's input crosses the network while the previous unit computes and the worker does not sit
 * idle between units.
 */
export const UNITS_AHEAD = 1;

/** What a requester knows about a worker it may assign to (from the worker's capability). */
export interface WorkerOffer {
  peer: string;
  /** Operator address: the worker's claims must recover to it; its stake makes the worker eligible. */
  operator: string;
  /** Where receipts for the worker's verified units pay (the operator, or a wallet it linked). */
  payout: string;
  /** Units it computes at once (its advertised `freeSlots`); it accepts {@link UNITS_AHEAD} more, waiting. */
  slots: number;
  priceFloor: bigint;
  gflops: number;
}

/** One unit a contributor ran, for its dashboard and the mesh benchmark. */
export interface ExecutedUnit {
  jobId: string;
  unitIndex: number;
  requester: string;
  /** ms since epoch the assignment arrived. */
  receivedAt: number;
  /** Time in the compute worker (queue excluded). */
  computeMs: number;
  /** ms since epoch the result was acknowledged by the requester (null if it never was). */
  deliveredAt: number | null;
}

export interface ContributorInfo {
  contributing: boolean;
  adapter?: import('../gpu/device.ts').AdapterReport;
  score?: import('../gpu/autotune.ts').BenchmarkScore | null;
  slots: number;
  unitsDone: number;
  unitsRunning: number;
  unitsFailed: number;
  /** Claim-signing (operator) address; receipts pay the payout address TabmeshNode advertises. */
  address: string;
  /** The last 1,000 units run. */
  recent: ExecutedUnit[];
}
