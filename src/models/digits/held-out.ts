/**
 * The 2,000 held-out digits the shipped model never saw, as model inputs: what the Submit view,
 * the demo and the job tests classify over the mesh.
 */
import { decodeDigitsDataset, imageToInput, DIGITS_PIXELS } from './dataset.ts';

/** Where the app serves the held-out set (from `public/`). */
export const HELD_OUT_URL = '/datasets/mnist-heldout.safetensors';

export interface HeldOutDigits {
  /** `count × 784` f32 pixels in 0..1, the model's input scaling. */
  inputs: Float32Array;
  /** `count` labels, 0..9. */
  labels: Uint8Array;
  count: number;
}

/**
 * Fetches the held-out set and returns its first `count` samples as model inputs.
 *
 * @example
 * const { inputs, labels } = await fetchHeldOutDigits(100);
 * const job = node.submit({ model: { url: DEFAULT_MODEL_URL }, inputs, samples: 100, labels });
 */
export async function fetchHeldOutDigits(count?: number, url: string = HELD_OUT_URL): Promise<HeldOutDigits> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`held-out digits: GET ${url} answered ${res.status}`);
  const set = decodeDigitsDataset(new Uint8Array(await res.arrayBuffer()));
  const n = Math.min(count ?? set.count, set.count);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`held-out digits: count must be 1..${set.count}, got ${String(count)}`);
  const inputs = new Float32Array(n * DIGITS_PIXELS);
  for (let i = 0; i < n; i++) imageToInput(set, i, inputs, i * DIGITS_PIXELS);
  return { inputs, labels: set.labels.slice(0, n), count: n };
}
