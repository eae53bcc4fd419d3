import { ShapeError } from '../errors.ts';
import { applyActivation, checkActivation } from './activations.ts';
import { checkHost, fmtShape, type HostTensor, type RefActivation } from './types.ts';

export interface MatmulRefOptions {
  bias?: HostTensor;
  activation?: RefActivation;
}

/**
 * CPU matmul, `act(a × b + bias)`: a [M,K] or [B,M,K], b [K,N] or [B,K,N] (an unbatched operand
 * is broadcast over the batch), bias [N]. Accumulates in f64 and rounds once to f32, so it is
 * the exact product up to one rounding: the GPU's f32 accumulation is measured against it.
 *
 * @example
 * matmulRef({ data: new Float32Array([1, 2]), shape: [1, 2] }, { data: new Float32Array([3, 4]), shape: [2, 1] });
 * // { data: Float32Array [11], shape: [1, 1] }
 */
export function matmulRef(a: HostTensor, b: HostTensor, opts: MatmulRefOptions = {}): HostTensor {
  const op = 'matmulRef';
  checkHost(op, 'a', a);
  checkHost(op, 'b', b);
  if (a.shape.length !== 2 && a.shape.length !== 3) throw new ShapeError(`${op}: a must have rank 2 or 3, got ${fmtShape(a.shape)}`);
  if (b.shape.length !== 2 && b.shape.length !== 3) throw new ShapeError(`${op}: b must have rank 2 or 3, got ${fmtShape(b.shape)}`);
  const ar = a.shape.length, br = b.shape.length;
  const M = a.shape[ar - 2]!, K = a.shape[ar - 1]!, Kb = b.shape[br - 2]!, N = b.shape[br - 1]!;
  if (K !== Kb) throw new ShapeError(`${op}: a.shape[${ar - 1}] (${K}) must equal b.shape[${br - 2}] (${Kb})`);
  if (ar === 3 && br === 3 && a.shape[0] !== b.shape[0]) throw new ShapeError(`${op}: a.shape[0] (${a.shape[0]}) must equal b.shape[0] (${b.shape[0]})`);
  const batch = ar === 3 ? a.shape[0]! : br === 3 ? b.shape[0]! : 1;
  const act = checkActivation(op, opts.activation, ['none', 'relu', 'gelu', 'silu']);
  const bias = opts.bias;
  if (bias) {
    checkHost(op, 'bias', bias);
    if (bias.shape.length !== 1 || bias.shape[0] !== N) throw new ShapeError(`${op}: bias.shape must be [${N}], got ${fmtShape(bias.shape)}`);
  }
  const out = new Float32Array(batch * M * N);
  const row = new Float64Array(N);
  for (let bi = 0; bi < batch; bi++) {
    const ao = ar === 3 ? bi * M * K : 0;
    const bo = br === 3 ? bi * K * N : 0;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      // i-k-j order: the inner loop walks b and the accumulator row contiguously.
      for (let k = 0; k < K; k++) {
        const av = a.data[ao + i * K + k]!;
        const bk = bo + k * N;
        for (let j = 0; j < N; j++) row[j]! += av * b.data[bk + j]!;
      }
      const o = (bi * M + i) * N;
      for (let j = 0; j < N; j++) out[o + j] = applyActivation(row[j]! + (bias ? bias.data[j]! : 0), act);
    }
  }
  return { data: out, shape: ar === 3 || br === 3 ? [batch, M, N] : [M, N] };
}
