/**
 * Errors the client API throws. Every class sets a literal `name` (stable under minification), so
 * callers can branch on `err.name` without importing the classes:
 *
 * | name | when |
 * |---|---|
 * | `InvalidJobSpecError` | `submit()` got a spec that cannot be a job (`field` names what is wrong) |
 * | `ClientClosedError` | the client was closed (or is closing) |
 * | `ConnectError` | the node could not start: no relay configured, relay unreachable, ... |
 * | `ContributeUnavailableError` | this browser cannot contribute: no WebGPU or no adapter (`reason`) |
 * | `JobCancelledError` | `job.cancel()` was called before the job finished |
 * | `JobFailedError` | the network gave up on the job (deadline, no workers, lost units, ...) |
 */

/** Base class of every client error. */
export class TabmeshClientError extends Error {
  override readonly name: string = 'TabmeshClientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A job spec that cannot be submitted. `field` names the offending field (e.g. `inputs`). */
export class InvalidJobSpecError extends TabmeshClientError {
  override readonly name = 'InvalidJobSpecError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`job spec: ${field} ${problem}`);
  }
}

/** The client was closed; create a new one with `connect()`. */
export class ClientClosedError extends TabmeshClientError {
  override readonly name = 'ClientClosedError';
  constructor() {
    super('the tabmesh client is closed');
  }
}

/** The node did not start. `cause` holds the underlying error (e.g. a `MeshConfigError`). */
export class ConnectError extends TabmeshClientError {
  override readonly name = 'ConnectError';
}

/** Why a browser cannot contribute compute. */
export type GpuUnavailableReason = 'no-webgpu' | 'no-adapter' | 'error';

/** This browser cannot run work units (it can still submit jobs). */
export class ContributeUnavailableError extends TabmeshClientError {
  override readonly name = 'ContributeUnavailableError';
  constructor(
    readonly reason: GpuUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The job was cancelled by its requester before it finished. */
export class JobCancelledError extends TabmeshClientError {
  override readonly name = 'JobCancelledError';
  constructor(readonly jobId: string) {
    super(`job ${jobId.slice(0, 12)} was cancelled`);
  }
}

/** The job failed in the network. `cause` holds the node's error, whose `name` says why. */
export class JobFailedError extends TabmeshClientError {
  override readonly name = 'JobFailedError';
  constructor(
    readonly jobId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
