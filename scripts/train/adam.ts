/**
 * Adam (Kingma & Ba) over one flat f32 parameter vector, with optional decoupled weight decay
 * (AdamW) on a mask of entries. Bias corrections use running products instead of Math.pow so the
 * whole update is basic arithmetic plus Math.sqrt, both exactly specified: runs are bit-identical.
 *
 * @example
 * ```ts
 * const adam = createAdam(params.flat.length);
 * adamStep(adam, params.flat, grads.flat, { learningRate: 1e-3 });
 * ```
 */

export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** beta1^t and beta2^t after t steps. */
  beta1Power: number;
  beta2Power: number;
  steps: number;
}

export interface AdamStepOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay per step, multiplied by the learning rate (AdamW). */
  weightDecay?: number;
  /** 1 where weight decay applies (weights), 0 where it does not (biases). */
  decayMask?: Uint8Array;
}

export function createAdam(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), beta1Power: 1, beta2Power: 1, steps: 0 };
}

/** One update of `params` in place from `grads`. */
export function adamStep(state: AdamState, params: Float32Array, grads: Float64Array, opts: AdamStepOptions): void {
  const { learningRate: lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0, decayMask } = opts;
  state.steps++;
  state.beta1Power *= beta1;
  state.beta2Power *= beta2;
  const correction1 = 1 - state.beta1Power;
  const correction2 = 1 - state.beta2Power;
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] as number;
    const mi = beta1 * (m[i] as number) + (1 - beta1) * g;
    const vi = beta2 * (v[i] as number) + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let p = params[i] as number;
    if (weightDecay !== 0 && (decayMask === undefined || decayMask[i] === 1)) p -= lr * weightDecay * p;
    params[i] = p - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + epsilon);
  }
}
