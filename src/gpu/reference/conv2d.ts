import { ShapeError } from '../errors.ts';
import { applyActivation, checkActivation } from './activations.ts';
import { checkHost, fmtShape, pairOf, type HostTensor } from './types.ts';

export interface Conv2dRefOptions {
  bias?: HostTensor;
  stride?: number | [number, number];
  padding?: number | [number, number];
  activation?: 'none' | 'relu';
}

/**
 * CPU conv2d (cross-correlation), NCHW: x [N,C,H,W], weight [O,C,KH,KW], bias [O] →
 * [N,O,OH,OW], OH = floor((H + 2·padH − KH) / strideH) + 1; zero padding. Accumulates in f64.
 *
 * @example
 * const y = conv2dRef(x, w, { bias, padding: 2, activation: 'relu' });
 */
export function conv2dRef(x: HostTensor, weight: HostTensor, opts: Conv2dRefOptions = {}): HostTensor {
  const op = 'conv2dRef';
  checkHost(op, 'x', x);
  checkHost(op, 'weight', weight);
  if (x.shape.length !== 4) throw new ShapeError(`${op}: x must have rank 4 [N,C,H,W], got ${fmtShape(x.shape)}`);
  if (weight.shape.length !== 4) throw new ShapeError(`${op}: weight must have rank 4 [O,C,KH,KW], got ${fmtShape(weight.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cw, KH, KW] = weight.shape as [number, number, number, number];
  if (Cw !== C) throw new ShapeError(`${op}: weight.shape[1] (${Cw}) must equal x.shape[1] (${C})`);
  const [SH, SW] = pairOf(op, 'stride', opts.stride ?? 1, 1);
  const [PH, PW] = pairOf(op, 'padding', opts.padding ?? 0, 0);
  if (KH < 1 || KW < 1 || H + 2 * PH < KH || W + 2 * PW < KW) {
    throw new ShapeError(`${op}: kernel ${KH}x${KW} does not fit the padded input ${H + 2 * PH}x${W + 2 * PW}`);
  }
  const act = checkActivation(op, opts.activation, ['none', 'relu']);
  const bias = opts.bias;
  if (bias) {
    checkHost(op, 'bias', bias);
    if (bias.shape.length !== 1 || bias.shape[0] !== O) throw new ShapeError(`${op}: bias.shape must be [${O}], got ${fmtShape(bias.shape)}`);
  }
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  const out = new Float32Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = bias ? bias.data[o]! : 0;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh;
              if (ih < 0 || ih >= H) continue;
              const xr = ((n * C + c) * H + ih) * W;
              const wr = ((o * C + c) * KH + kh) * KW;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw;
                if (iw < 0 || iw >= W) continue;
                s += x.data[xr + iw]! * weight.data[wr + kw]!;
              }
            }
          }
          out[((n * O + o) * OH + oh) * OW + ow] = applyActivation(s, act);
        }
      }
    }
  }
  return { data: out, shape: [N, O, OH, OW] };
}
