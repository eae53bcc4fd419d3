import { ShapeError } from '../errors.ts';
import { rowsOf } from './rows.ts';
import { checkHost, fmtShape, type HostTensor } from './types.ts';

/** Shared by layerNormRef (beta given) and rmsNormRef (beta null); two-pass, f64. */
export function normRef(op: string, x: HostTensor, gamma: HostTensor, beta: HostTensor | null, eps: number): HostTensor {
  checkHost(op, 'x', x);
  const { rows, len } = rowsOf(op, x);
  checkHost(op, 'gamma', gamma);
  if (gamma.shape.length !== 1 || gamma.shape[0] !== len) throw new ShapeError(`${op}: gamma.shape must be [${len}], got ${fmtShape(gamma.shape)}`);
  if (beta) {
    checkHost(op, 'beta', beta);
    if (beta.shape.length !== 1 || beta.shape[0] !== len) throw new ShapeError(`${op}: beta.shape must be [${len}], got ${fmtShape(beta.shape)}`);
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new ShapeError(`${op}: eps must be a finite number >= 0, got ${String(eps)}`);
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let mean = 0;
    if (beta) {
      for (let i = 0; i < len; i++) mean += x.data[o + i]!;
      mean /= len;
    }
    let q = 0;
    for (let i = 0; i < len; i++) q += (x.data[o + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(q / len + eps);
    for (let i = 0; i < len; i++) out[o + i] = (x.data[o + i]! - mean) * inv * gamma.data[i]! + (beta ? beta.data[i]! : 0);
  }
  return { data: out, shape: [...x.shape] };
}
