/**
 * Checks a JobSpec at the boundary and fills in defaults. What needs the model (the exact input
 * length) is checked once the model is fetched.
 *
 * @example
 * validateJobSpec({ model: { url: '/m.json' }, inputs, samples: 10 }, DEFAULTS).unitSize; // 50
 */
import { InvalidJobError } from './errors.ts';
import type { ResolvedJobSpec } from './job-run.ts';
import type { JobSpec } from './types.ts';

export type JobDefaults = Pick<ResolvedJobSpec, 'unitSize' | 'replication' | 'pricePerUnit' | 'spotCheck' | 'deadlineMs'>;

/** Largest samples per job and per unit (the unit bound is the wire's `batch` limit). */
export const MAX_JOB_SAMPLES = 1_000_000;
export const MAX_UNIT_SAMPLES = 65_536;

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidJobError(field, `must be an integer from ${min} to ${max}, got ${typeof v === 'number' ? v : typeof v}`);
  return v;
}

export function validateJobSpec(spec: JobSpec, defaults: JobDefaults): ResolvedJobSpec {
  if (typeof spec !== 'object' || spec === null) throw new InvalidJobError('spec', 'must be an object');
  if (typeof spec.model !== 'object' || spec.model === null || typeof spec.model.url !== 'string' || spec.model.url.length === 0 || spec.model.url.length > 2048) throw new InvalidJobError('model.url', 'must be a non-empty string of at most 2048 characters');
  if (!(spec.inputs instanceof Float32Array)) throw new InvalidJobError('inputs', 'must be a Float32Array');
  const samples = int(spec.samples, 'samples', 1, MAX_JOB_SAMPLES);
  if (spec.inputs.length === 0 || spec.inputs.length % samples !== 0) throw new InvalidJobError('inputs', `length ${spec.inputs.length} is not a positive multiple of samples (${samples})`);
  if (!spec.inputs.every(Number.isFinite)) throw new InvalidJobError('inputs', 'holds a non-finite value');
  const unitSize = spec.unitSize === undefined ? Math.min(defaults.unitSize, samples) : int(spec.unitSize, 'unitSize', 1, MAX_UNIT_SAMPLES);
  const replication = spec.replication === undefined ? defaults.replication : int(spec.replication, 'replication', 1, 16);
  const pricePerUnit = spec.pricePerUnit ?? defaults.pricePerUnit;
  if (typeof pricePerUnit !== 'bigint' || pricePerUnit < 0n || pricePerUnit >= 2n ** 64n) throw new InvalidJobError('pricePerUnit', 'must be a bigint from 0 to 2^64-1');
  const spotCheck = spec.spotCheck ?? defaults.spotCheck;
  if (typeof spotCheck !== 'number' || !(spotCheck >= 0 && spotCheck <= 1)) throw new InvalidJobError('spotCheck', 'must be a number from 0 to 1');
  const deadlineMs = spec.deadlineMs === undefined ? defaults.deadlineMs : int(spec.deadlineMs, 'deadlineMs', 1, 7 * 24 * 3600_000);
  if (spec.labels !== undefined && (!(spec.labels instanceof Uint8Array) || spec.labels.length !== samples)) throw new InvalidJobError('labels', `must be a Uint8Array of ${samples} labels`);
  return { inputs: spec.inputs, samples, unitSize, replication, pricePerUnit, spotCheck, deadlineMs, ...(spec.labels ? { labels: spec.labels } : {}) };
}
