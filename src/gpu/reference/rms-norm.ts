import { normRef } from './norm.ts';
import type { HostTensor } from './types.ts';

/**
 * CPU RMS norm over the last axis: x / √(mean(x²) + eps) · gamma.
 *
 * @example
 * rmsNormRef(x, gamma, { eps: 1e-6 });
 */
export function rmsNormRef(x: HostTensor, gamma: HostTensor, opts: { eps?: number } = {}): HostTensor {
  return normRef('rmsNormRef', x, gamma, null, opts.eps ?? 1e-6);
}
