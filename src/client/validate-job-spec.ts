import { checkJobSpec, JOB_SPEC_LIMITS } from '../jobs/validate-job-spec.ts';
import { InvalidJobError } from '../jobs/errors.ts';
import { InvalidJobSpecError } from './errors.ts';
import type { JobSpec } from './types.ts';

export { JOB_SPEC_LIMITS };

/**
 * Checks a job spec at the API boundary, with the node's own checks ({@link checkJobSpec}), and
 * returns it, typed; throws {@link InvalidJobSpecError} naming the first offending field. What is
 * checked: `model.url` is a non-empty string of at most 2048 characters; `inputs` is a
 * `Float32Array` of finite values whose length is a positive multiple of `samples` (the sample
 * size itself comes from the model's manifest, which the node checks); `samples` is an integer in
 * 1..1e6; `unitSize` 1..65536 and `replication` 1..16 are integers; `spotCheck` is in 0..1;
 * `pricePerUnit` is a `bigint` in 0..2^64-1; `deadlineMs` is an integer number of ms in
 * 1..604 800 000 (a week); `labels`, if given, is a `Uint8Array` of length `samples`; no other
 * fields (a typo like `replicas` would otherwise be silently ignored).
 *
 * The returned spec holds only the known fields, sharing the caller's arrays (nothing is copied).
 *
 * @example
 * import { validateJobSpec } from './src/client/index.ts';
 * const spec = validateJobSpec({ model: { url: '/models/digits-cnn/manifest.json' }, inputs: new Float32Array(784 * 2), samples: 2 });
 * validateJobSpec({ ...spec, replication: 0 }); // throws InvalidJobSpecError: job spec: replication must be in 1..16, got 0
 */
export function validateJobSpec(spec: unknown): JobSpec {
  try {
    return checkJobSpec(spec);
  } catch (e) {
    if (e instanceof InvalidJobError) throw new InvalidJobSpecError(e.field, e.problem);
    throw e;
  }
}
