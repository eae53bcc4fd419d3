/**
 * Errors of the model format and loader. One class per failure, each with a stable `name`
 * (js-libp2p style) so callers can switch on `err.name` after the error crossed a postMessage
 * boundary, where `instanceof` no longer works. Messages name the field or file that was wrong.
 *
 * @example
 * ```ts
 * try { await loadModel({ manifestUrl }) }
 * catch (err) { if ((err as Error).name === 'WeightsHashMismatchError') showCorruptDownload() }
 * ```
 */

/** The manifest JSON does not follow `tabmesh-model/1`; `field` is the path of the bad value. */
export class InvalidManifestError extends Error {
  override readonly name = 'InvalidManifestError';
  /** Path of the offending value, e.g. `manifest.tensors["conv1.weight"].shape[2]`. */
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field} ${problem}`);
    this.field = field;
  }
}

/** A safetensors file is malformed: bad header length, bad JSON, lying offsets, unknown dtype... */
export class InvalidSafetensorsError extends Error {
  override readonly name = 'InvalidSafetensorsError';
  /** Path of the offending value inside the file, e.g. `header["fc1.weight"].data_offsets`. */
  readonly field: string;
  /** What is wrong with it, e.g. `is not valid JSON`. */
  readonly problem: string;
  /** Which file, when the caller said (e.g. `weights.safetensors`). */
  readonly source: string | undefined;
  constructor(field: string, problem: string, source?: string) {
    super(`safetensors${source === undefined ? '' : ` file "${source}":`} ${field} ${problem}`);
    this.field = field;
    this.problem = problem;
    this.source = source;
  }
}

/** A downloaded file's SHA-256 differs from the one the manifest promises. */
export class WeightsHashMismatchError extends Error {
  override readonly name = 'WeightsHashMismatchError';
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  constructor(path: string, expected: string, actual: string) {
    super(`model file "${path}" has sha256 ${actual}, manifest says ${expected}`);
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A downloaded file's length differs from the manifest's `bytes` (or a server announced or sent
 * more than that). Raised before hashing, and while streaming as soon as the limit is passed.
 */
export class WeightsSizeMismatchError extends Error {
  override readonly name = 'WeightsSizeMismatchError';
  readonly path: string;
  readonly expected: number;
  /** Bytes seen (or announced by Content-Length); a lower bound when the download was cut short. */
  readonly actual: number;
  constructor(path: string, expected: number, actual: number, how = 'has') {
    super(`model file "${path}" ${how} ${actual} bytes, manifest says ${expected}`);
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A tensor the manifest declares is absent from the file it names. */
export class MissingTensorError extends Error {
  override readonly name = 'MissingTensorError';
  readonly tensor: string;
  readonly file: string;
  constructor(tensor: string, file: string) {
    super(`tensor "${tensor}" is declared in the manifest but missing from "${file}"`);
    this.tensor = tensor;
    this.file = file;
  }
}

/** A file holds a tensor the manifest does not declare (or declares in another file). */
export class UnexpectedTensorError extends Error {
  override readonly name = 'UnexpectedTensorError';
  readonly tensor: string;
  readonly file: string;
  constructor(tensor: string, file: string) {
    super(`file "${file}" holds tensor "${tensor}", which the manifest does not declare for this file`);
    this.tensor = tensor;
    this.file = file;
  }
}

/** A tensor's shape in the file differs from the manifest's. */
export class TensorShapeMismatchError extends Error {
  override readonly name = 'TensorShapeMismatchError';
  readonly tensor: string;
  readonly expected: readonly number[];
  readonly actual: readonly number[];
  constructor(tensor: string, file: string, expected: readonly number[], actual: readonly number[]) {
    super(`tensor "${tensor}" in "${file}" has shape [${actual.join(',')}], manifest says [${expected.join(',')}]`);
    this.tensor = tensor;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A tensor's dtype in the file differs from the manifest's. */
export class TensorDtypeMismatchError extends Error {
  override readonly name = 'TensorDtypeMismatchError';
  readonly tensor: string;
  readonly expected: string;
  readonly actual: string;
  constructor(tensor: string, file: string, expected: string, actual: string) {
    super(`tensor "${tensor}" in "${file}" has dtype ${actual}, manifest says ${expected}`);
    this.tensor = tensor;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The network (or the injected fetcher) failed, or answered with a non-2xx status. */
export class ModelFetchError extends Error {
  override readonly name = 'ModelFetchError';
  readonly url: string;
  /** HTTP status when there was a response, otherwise undefined. */
  readonly status: number | undefined;
  constructor(url: string, detail: string, status?: number, options?: { cause?: unknown }) {
    super(`fetching "${url}" failed: ${detail}`, options);
    this.url = url;
    this.status = status;
  }
}

/**
 * A verified model does not fit the graph its manifest names (tensor shapes the graph cannot
 * use, an architecture this build has no graph for...). Raised by the graph builders.
 */
export class IncompatibleModelError extends Error {
  override readonly name = 'IncompatibleModelError';
  readonly architecture: string;
  constructor(architecture: string, problem: string) {
    super(`${architecture} model ${problem}`);
    this.architecture = architecture;
  }
}
