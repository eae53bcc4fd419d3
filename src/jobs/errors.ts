/**
 * Errors of the jobs layer. Each class sets a literal `name` (stable under minification and
 * across `postMessage`), so callers branch on `err.name`.
 *
 * | name | when |
 * |---|---|
 * | `InvalidJobError` | a job spec that cannot be run (`field` names what is wrong) |
 * | `ModelFetchError` | the requester could not fetch or verify the job's model |
 * | `JobDeadlineError` | the deadline passed with units still unverified |
 * | `JobCancelledError` | the requester cancelled the job |
 * | `NoWorkersError` | the job ended (deadline) without ever seeing an eligible worker |
 * | `ClaimError` | a worker's signed claim is malformed or does not verify (`field`) |
 */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`job: ${field} ${problem}`);
  }
}

export class ModelFetchError extends Error {
  override readonly name = 'ModelFetchError';
}

export class JobDeadlineError extends Error {
  override readonly name = 'JobDeadlineError';
  constructor(
    readonly jobId: string,
    readonly unverifiedUnits: number[],
  ) {
    super(`job ${jobId.slice(0, 12)}: deadline passed with ${unverifiedUnits.length} unit(s) unverified (${unverifiedUnits.slice(0, 8).join(', ')}${unverifiedUnits.length > 8 ? ', …' : ''})`);
  }
}

export class NoWorkersError extends Error {
  override readonly name = 'NoWorkersError';
  constructor(readonly jobId: string) {
    super(`job ${jobId.slice(0, 12)}: no eligible worker was ever seen (none contributing, or all above the job's price)`);
  }
}

export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor(readonly jobId: string) {
    super(`job ${jobId.slice(0, 12)} was cancelled`);
  }
}

export class ClaimError extends Error {
  override readonly name = 'ClaimError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`claim: ${field} ${problem}`);
  }
}
