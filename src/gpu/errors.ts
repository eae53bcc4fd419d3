/**
 * Errors of the WebGPU runtime. One class per failure, each with a stable `name` that callers
 * (the compute worker, the page) can switch on after the error crossed a postMessage boundary,
 * where `instanceof` no longer works.
 */

/** `navigator.gpu` does not exist: the browser has no WebGPU, or it is switched off. */
export class WebGPUUnavailableError extends Error {
  override readonly name = 'WebGPUUnavailableError';
  constructor(message = 'WebGPU is not available in this browser (navigator.gpu is undefined). Use a browser with WebGPU enabled (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows).') {
    super(message);
  }
}

/** WebGPU exists but `requestAdapter()` found no adapter (blocklisted GPU, headless without a software adapter, ...). */
export class NoAdapterError extends Error {
  override readonly name = 'NoAdapterError';
  constructor(message = 'WebGPU is present but no GPU adapter is available (the GPU may be blocklisted or disabled).') {
    super(message);
  }
}

/** The device was lost (driver reset, tab backgrounded, `destroy()`); work in flight is void. */
export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
  readonly reason: string;
  constructor(reason: string, message?: string) {
    super(message ?? `GPU device lost (${reason})`);
    this.reason = reason;
  }
}

/** A request does not fit the adapter's limits and could not be split. */
export class LimitExceededError extends Error {
  override readonly name = 'LimitExceededError';
  readonly limit: string;
  readonly requested: number;
  readonly allowed: number;
  constructor(limit: string, requested: number, allowed: number, what: string) {
    super(`${what} needs ${limit} = ${requested}, but this adapter allows ${allowed}`);
    this.limit = limit;
    this.requested = requested;
    this.allowed = allowed;
  }
}

/** WGSL failed to compile or the pipeline failed validation. */
export class ShaderCompilationError extends Error {
  override readonly name = 'ShaderCompilationError';
  readonly kernel: string;
  constructor(kernel: string, detail: string) {
    super(`kernel '${kernel}' failed to compile: ${detail}`);
    this.kernel = kernel;
  }
}

/** The device reported a validation or out-of-memory error for work we submitted. */
export class GpuValidationError extends Error {
  override readonly name = 'GpuValidationError';
}

/** Operands whose shapes or dtypes do not fit the operation. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/** A tensor was used after `release()`, or released twice. */
export class ReleasedTensorError extends Error {
  override readonly name = 'ReleasedTensorError';
}

/** The runtime was used before `start()` or after `stop()`. */
export class RuntimeNotStartedError extends Error {
  override readonly name = 'RuntimeNotStartedError';
  constructor() {
    super('GPU runtime is not started: call start() first');
  }
}
