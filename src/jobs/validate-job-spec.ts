/**
 * Checks a JobSpec at the boundary ({@link checkJobSpec}) and fills in defaults
 * ({@link validateJobSpec}). What needs the model (the exact input length) is checked once the
 * model is fetched. The client API reports the same checks as `InvalidJobSpecError`.
 */
import { InvalidJobError } from './errors.ts';
import type { ResolvedJobSpec } from './job-run.ts';
import type { JobSpec } from './types.ts';

export type JobDefaults = Pick<ResolvedJobSpec, 'unitSize' | 'replication' | 'pricePerUnit' | 'spotCheck' | 'deadlineMs'>;

/** Bounds of a job spec, enforced by the node and reported early by the client API. */
export const JOB_SPEC_LIMITS = {
  samples: { min: 1, max: 1_000_000 },
  unitSize: { min: 1, max: 65_536 },
  replication: { min: 1, max: 16 },
  spotCheck: { min: 0, max: 1 },
  /** One week, in ms. */
  deadlineMs: { min: 1, max: 7 * 24 * 3600_000 },
  /** Characters. */
  modelUrl: { max: 2048 },
  /** Exclusive upper bound: the wire carries a u64. */
  pricePerUnit: { below: 2n ** 64n },
} as const;

const FIELDS = new Set(['model', 'inputs', 'samples', 'unitSize', 'replication', 'pricePerUnit', 'spotCheck', 'deadlineMs', 'labels']);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return typeof v;
}

function integerIn(field: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidJobError(field, `must be an integer, got ${describe(v)}`);
  if (v < min || v > max) throw new InvalidJobError(field, `must be in ${min}..${max}, got ${v}`);
}

/**
 * Checks a job spec at the boundary and returns it, typed; throws {@link InvalidJobError} naming
 * the first offending field. What is checked: `model.url` is a non-empty string of at most 2048 characters; `inputs`
 * is a `Float32Array` of finite values whose length is a positive multiple of `samples` (the
 * sample size itself comes from the model's manifest, which the node checks); `samples` is an
 * integer in 1..1e6; `unitSize` 1..65536 and `replication` 1..16 are integers; `spotCheck` is in
 * 0..1; `pricePerUnit` is a `bigint` in 0..2^64-1; `deadlineMs` is an integer number of ms in
 * 1..604 800 000 (a week); `labels`, if given,
 * is a `Uint8Array` of length `samples`; no other fields (a typo like `replicas` would otherwise
 * be silently ignored). Optional fields may be omitted or `undefined`.
 *
 * The returned spec holds only the known fields, sharing the caller's arrays (nothing is copied).
 *
 * @example
 * import { checkJobSpec } from './src/jobs/index.ts';
 * const spec = checkJobSpec({ model: { url: '/models/digits-cnn/manifest.json' }, inputs: new Float32Array(784 * 2), samples: 2 });
 * checkJobSpec({ ...spec, replication: 0 }); // throws InvalidJobError: job: replication must be in 1..16, got 0
 */
export function checkJobSpec(spec: unknown): JobSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InvalidJobError('spec', `must be an object, got ${describe(spec)}`);
  const s = spec as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!FIELDS.has(key)) throw new InvalidJobError(key, 'is not a job spec field');

  const model = s.model;
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw new InvalidJobError('model', `must be an object { url }, got ${describe(model)}`);
  const url = (model as Record<string, unknown>).url;
  if (typeof url !== 'string') throw new InvalidJobError('model.url', `must be a string, got ${describe(url)}`);
  if (url.trim() === '') throw new InvalidJobError('model.url', 'must not be empty');
  if (url.length > JOB_SPEC_LIMITS.modelUrl.max) throw new InvalidJobError('model.url', `must be at most ${JOB_SPEC_LIMITS.modelUrl.max} characters, got ${url.length}`);

  integerIn('samples', s.samples, JOB_SPEC_LIMITS.samples.min, JOB_SPEC_LIMITS.samples.max);
  const samples = s.samples as number;

  const inputs = s.inputs;
  if (!(inputs instanceof Float32Array)) throw new InvalidJobError('inputs', `must be a Float32Array, got ${describe(inputs)}`);
  if (inputs.length === 0) throw new InvalidJobError('inputs', 'must not be empty');
  if (inputs.length % samples !== 0) throw new InvalidJobError('inputs', `length ${inputs.length} is not a multiple of samples (${samples})`);
  for (let i = 0; i < inputs.length; i++) {
    if (!Number.isFinite(inputs[i]!)) throw new InvalidJobError('inputs', `holds a non-finite value (${inputs[i]}) at index ${i}`);
  }

  if (s.unitSize !== undefined) integerIn('unitSize', s.unitSize, JOB_SPEC_LIMITS.unitSize.min, JOB_SPEC_LIMITS.unitSize.max);
  if (s.replication !== undefined) integerIn('replication', s.replication, JOB_SPEC_LIMITS.replication.min, JOB_SPEC_LIMITS.replication.max);
  if (s.spotCheck !== undefined) {
    const v = s.spotCheck;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidJobError('spotCheck', `must be a number, got ${describe(v)}`);
    if (v < JOB_SPEC_LIMITS.spotCheck.min || v > JOB_SPEC_LIMITS.spotCheck.max) throw new InvalidJobError('spotCheck', `must be in 0..1, got ${v}`);
  }
  if (s.pricePerUnit !== undefined) {
    const v = s.pricePerUnit;
    if (typeof v !== 'bigint') throw new InvalidJobError('pricePerUnit', `must be a bigint (wei), got ${describe(v)}`);
    if (v < 0n) throw new InvalidJobError('pricePerUnit', `must be ≥ 0, got ${v}n`);
    if (v >= JOB_SPEC_LIMITS.pricePerUnit.below) throw new InvalidJobError('pricePerUnit', `must be below 2^64, got ${v}n`);
  }
  if (s.deadlineMs !== undefined) integerIn('deadlineMs', s.deadlineMs, JOB_SPEC_LIMITS.deadlineMs.min, JOB_SPEC_LIMITS.deadlineMs.max);
  if (s.labels !== undefined) {
    const v = s.labels;
    if (!(v instanceof Uint8Array)) throw new InvalidJobError('labels', `must be a Uint8Array, got ${describe(v)}`);
    if (v.length !== samples) throw new InvalidJobError('labels', `length ${v.length} differs from samples (${samples})`);
  }

  const out: JobSpec = { model: { url }, inputs, samples };
  if (s.unitSize !== undefined) out.unitSize = s.unitSize as number;
  if (s.replication !== undefined) out.replication = s.replication as number;
  if (s.pricePerUnit !== undefined) out.pricePerUnit = s.pricePerUnit as bigint;
  if (s.spotCheck !== undefined) out.spotCheck = s.spotCheck as number;
  if (s.deadlineMs !== undefined) out.deadlineMs = s.deadlineMs as number;
  if (s.labels !== undefined) out.labels = s.labels as Uint8Array;
  return out;
}

/**
 * {@link checkJobSpec}, then the defaults for what the spec leaves out.
 *
 * @example
 * validateJobSpec({ model: { url: '/m.json' }, inputs, samples: 10 }, DEFAULTS).unitSize; // min(50, 10)
 */
export function validateJobSpec(spec: unknown, defaults: JobDefaults): ResolvedJobSpec {
  const s = checkJobSpec(spec);
  return {
    inputs: s.inputs,
    samples: s.samples,
    unitSize: s.unitSize ?? Math.min(defaults.unitSize, s.samples),
    replication: s.replication ?? defaults.replication,
    pricePerUnit: s.pricePerUnit ?? defaults.pricePerUnit,
    spotCheck: s.spotCheck ?? defaults.spotCheck,
    deadlineMs: s.deadlineMs ?? defaults.deadlineMs,
    ...(s.labels ? { labels: s.labels } : {}),
  };
}
