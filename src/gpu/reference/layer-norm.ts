import { normRef } from './norm.ts';
import type { HostTensor } from './types.ts';

/**
 * CPU layer norm over the last axis: (x − mean) / √(var + eps) · gamma + beta, biased variance.
 *
 * @example
 * layerNormRef(x, gamma, beta, { eps: 1e-5 });
 */
export function layerNormRef(x: HostTensor, gamma: HostTensor, beta: HostTensor, opts: { eps?: number } = {}): HostTensor {
  return normRef('layerNormRef', x, gamma, beta, opts.eps ?? 1e-5);
}
