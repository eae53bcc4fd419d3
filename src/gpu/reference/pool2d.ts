import { ShapeError } from '../errors.ts';
import { checkHost, fmtShape, pairOf, type HostTensor } from './types.ts';

export interface Pool2dRefOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/** Shared by maxPool2dRef and avgPool2dRef: same geometry and rules as the GPU ops. */
export function pool2dRef(op: string, x: HostTensor, opts: Pool2dRefOptions, mode: 'max' | 'avg'): HostTensor {
  checkHost(op, 'x', x);
  if (x.shape.length !== 4) throw new ShapeError(`${op}: x must have rank 4 [N,C,H,W], got ${fmtShape(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = pairOf(op, 'kernel', opts?.kernel, 1);
  const [SH, SW] = pairOf(op, 'stride', opts.stride ?? opts.kernel, 1);
  const [PH, PW] = pairOf(op, 'padding', opts.padding ?? 0, 0);
  if (2 * PH > KH || 2 * PW > KW) throw new ShapeError(`${op}: padding (${PH},${PW}) must be at most half the kernel (${KH},${KW})`);
  if (H + 2 * PH < KH || W + 2 * PW < KW) throw new ShapeError(`${op}: kernel ${KH}x${KW} does not fit the padded input ${H + 2 * PH}x${W + 2 * PW}`);
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  const out = new Float32Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let m = -Infinity;
        let s = 0;
        let count = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - PW + kw;
            if (iw < 0 || iw >= W) continue;
            const v = x.data[(nc * H + ih) * W + iw]!;
            if (v > m) m = v;
            s += v;
            count++;
          }
        }
        out[(nc * OH + oh) * OW + ow] = mode === 'max' ? m : s / count;
      }
    }
  }
  return { data: out, shape: [N, C, OH, OW] };
}
