import { ContributeUnavailableError, JobCancelledError, JobFailedError, type GpuUnavailableReason } from './errors.ts';

/** Error names (own or in the `cause` chain) that mean "this browser has no WebGPU". */
const NO_WEBGPU = new Set(['WebGPUUnavailableError', 'NoWebGpuError', 'NoWebGPUError']);
/** Error names that mean "WebGPU exists but no adapter". */
const NO_ADAPTER = new Set(['NoAdapterError']);

/** The error and its `cause`s, outermost first (bounded: a cycle cannot hang it). */
function chain(e: unknown): { name?: unknown; message?: unknown }[] {
  const out: { name?: unknown; message?: unknown }[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 8 && typeof cur === 'object' && cur !== null; i++) {
    out.push(cur as { name?: unknown });
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Why a failed `startContributing()` failed, from the stable error names of the GPU runtime and
 * the compute worker (`WebGPUUnavailableError`, `NoAdapterError`), looked up along `cause`.
 *
 * @example
 * import { gpuUnavailableReason } from './src/client/index.ts';
 * gpuUnavailableReason(Object.assign(new Error('x'), { name: 'NoAdapterError' })); // 'no-adapter'
 */
export function gpuUnavailableReason(e: unknown): GpuUnavailableReason {
  for (const link of chain(e)) {
    if (typeof link.name !== 'string') continue;
    if (NO_WEBGPU.has(link.name)) return 'no-webgpu';
    if (NO_ADAPTER.has(link.name)) return 'no-adapter';
  }
  return 'error';
}

/**
 * Turns a failure of `startContributing()` into a {@link ContributeUnavailableError} (the node's
 * error is its `cause`). An error that already is one is returned as is.
 *
 * @example
 * import { toContributeError } from './src/client/index.ts';
 * const err = toContributeError(Object.assign(new Error('no navigator.gpu'), { name: 'WebGPUUnavailableError' }));
 * err.reason; // 'no-webgpu'
 */
export function toContributeError(e: unknown): ContributeUnavailableError {
  if (e instanceof ContributeUnavailableError) return e;
  const reason = gpuUnavailableReason(e);
  const what = reason === 'no-webgpu' ? 'this browser has no WebGPU' : reason === 'no-adapter' ? 'WebGPU found no usable GPU adapter' : 'the GPU could not be started';
  return new ContributeUnavailableError(reason, `cannot contribute: ${what} (${messageOf(e)})`, { cause: e });
}

/**
 * Turns the node's rejection of `JobHandle.result` into the client's error: `JobCancelledError`
 * when the node says it was cancelled, otherwise `JobFailedError`; the node's error is the
 * `cause` (its `name` says why: `NoWorkersError`, `JobDeadlineError`, `ModelFetchError`, ...).
 *
 * @example
 * import { toJobError } from './src/client/index.ts';
 * const err = toJobError('ab'.repeat(32), Object.assign(new Error('deadline passed'), { name: 'JobDeadlineError' }));
 * err.name; // 'JobFailedError'
 */
export function toJobError(jobId: string, e: unknown): JobCancelledError | JobFailedError {
  if (e instanceof JobCancelledError || e instanceof JobFailedError) return e;
  const name = typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;
  if (name === 'JobCancelledError') {
    const err = new JobCancelledError(jobId);
    Object.defineProperty(err, 'cause', { value: e, configurable: true, writable: true });
    return err;
  }
  return new JobFailedError(jobId, `job ${jobId.slice(0, 12)} failed: ${typeof name === 'string' ? name + ': ' : ''}${messageOf(e)}`, { cause: e });
}
