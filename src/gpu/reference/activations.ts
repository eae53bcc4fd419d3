import type { RefActivation } from './types.ts';

/**
 * GELU, tanh approximation, the same formula as kernels/activation.wgsl (including the clamp,
 * which only matters where tanh is already ±1 in f32).
 */
export function geluScalar(x: number): number {
  const z = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1 + Math.tanh(Math.min(15, Math.max(-15, z))));
}

export function siluScalar(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function reluScalar(x: number): number {
  return x > 0 ? x : 0;
}

export function applyActivation(x: number, act: RefActivation): number {
  switch (act) {
    case 'relu':
      return reluScalar(x);
    case 'gelu':
      return geluScalar(x);
    case 'silu':
      return siluScalar(x);
    default:
      return x;
  }
}

export function checkActivation(op: string, act: unknown, allowed: readonly RefActivation[]): RefActivation {
  const a = (act ?? 'none') as RefActivation;
  if (!allowed.includes(a)) throw new RangeError(`${op}: activation must be one of ${allowed.join(', ')}, got ${String(act)}`);
  return a;
}
