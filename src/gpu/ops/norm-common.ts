import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { KERNELS } from '../kernels.ts';
import { expectFits, expectShape, expectTensor, grid, lastAxis, produce, rowWorkgroup } from './util.ts';

/** Shared body of layerNorm (rms = false) and rmsNorm (rms = true). */
export async function norm(rt: GpuRuntime, op: string, x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Promise<Tensor> {
  expectTensor(op, 'x', x);
  const { rows, len } = lastAxis(op, x);
  expectTensor(op, 'gamma', gamma);
  expectShape(op, 'gamma', gamma, [len]);
  if (beta) {
    expectTensor(op, 'beta', beta);
    expectShape(op, 'beta', beta, [len]);
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new ShapeError(`${op}: eps must be a finite number >= 0, got ${String(eps)}`);
  expectFits(rt, op, 'output', x.shape);
  const y = rt.empty(x.shape);
  if (y.size === 0) return y;
  const u = new Uint32Array(4);
  u[0] = rows;
  u[1] = len;
  new Float32Array(u.buffer)[2] = eps;
  return produce(y, () =>
    rt.dispatch({
      kernel: KERNELS.norm,
      constants: { WG: rowWorkgroup(rt, len), RMS: !beta },
      // rmsNorm has no beta; gamma fills the binding (read-only aliasing is allowed).
      bindings: [x, gamma, beta ?? gamma, y],
      uniforms: u,
      workgroups: grid(rt, rows, 1),
    }),
  );
}
