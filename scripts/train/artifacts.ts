/**
 * Turns trained parameters into the shipped artifacts: the weights file, the manifest that
 * describes and pins it, and back again (parameters from loaded tensors, for checking).
 *
 * @example
 * ```ts
 * const weights = encodeWeights(params);
 * const manifest = buildManifest({ weights, weightsSha256, training });
 * ```
 */
import { MANIFEST_FORMAT, parseManifest, type ModelManifest, type TrainingRecord } from '../../src/models/manifest.ts';
import { writeSafetensors } from '../../src/models/safetensors.ts';
import { createParams, DIGITS_CNN_CONFIG, DIGITS_CNN_TENSORS, type DigitsParams } from './cnn.ts';

/** File name of the weights, relative to the manifest. */
export const WEIGHTS_FILE = 'weights.safetensors';

/** The parameters as an F32 safetensors file. */
export function encodeWeights(params: DigitsParams): Uint8Array {
  const tensors = Object.fromEntries(
    DIGITS_CNN_TENSORS.map((t) => [t.name, { dtype: 'F32' as const, shape: [...t.shape], data: params.tensors[t.name] }]),
  );
  return writeSafetensors(tensors, { format: MANIFEST_FORMAT, architecture: 'digits-cnn' });
}

/** The `tabmesh-model/1` manifest for the weights, validated by parseManifest before it is returned. */
export function buildManifest(opts: { weightsBytes: number; weightsSha256: string; training: TrainingRecord }): ModelManifest {
  const manifest = {
    format: MANIFEST_FORMAT,
    name: 'digits-cnn',
    version: '1.0.0',
    architecture: 'digits-cnn',
    input: { shape: [1, 28, 28], dtype: 'f32', scale: 'pixel/255' },
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    config: { ...DIGITS_CNN_CONFIG },
    files: [{ path: WEIGHTS_FILE, bytes: opts.weightsBytes, sha256: opts.weightsSha256 }],
    tensors: Object.fromEntries(DIGITS_CNN_TENSORS.map((t) => [t.name, { file: WEIGHTS_FILE, dtype: 'F32', shape: [...t.shape] }])),
    training: opts.training,
  };
  return parseManifest(JSON.parse(JSON.stringify(manifest)));
}

/** Parameters from loaded f32 tensors (e.g. `loadModel(...).tensors`); throws on a missing or misshapen one. */
export function paramsFromTensors(tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): DigitsParams {
  const params = createParams();
  for (const t of DIGITS_CNN_TENSORS) {
    const found = tensors.get(t.name);
    if (found === undefined || found.shape.join(',') !== t.shape.join(',')) {
      throw new Error(`tensor ${t.name} missing or not of shape [${t.shape.join(',')}]`);
    }
    params.tensors[t.name].set(found.data);
  }
  return params;
}

/**
 * Manifest JSON as written to disk: two-space indentation with number arrays (shapes, lists)
 * kept on one line so a reader sees `"shape": [784, 64]` rather than a column of digits.
 */
export function formatManifestJson(manifest: ModelManifest): string {
  const text = JSON.stringify(manifest, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  return `${text}\n`;
}
