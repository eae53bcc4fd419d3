import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { KERNELS } from '../kernels.ts';
import { WG, activationId, expectFits, expectRank, expectShape, expectTensor, grid, pair, produce, u32s } from './util.ts';

/** The conv2d kernels the autotuner chooses between. */
export const CONV2D_VARIANTS = ['direct', 'reg'] as const;
export type Conv2dVariant = (typeof CONV2D_VARIANTS)[number];

export interface Conv2dOptions {
  /** Added per output channel: shape [O]. */
  bias?: Tensor;
  /** Step between windows, one number for both axes or [height, width]. Default 1. */
  stride?: number | [number, number];
  /** Zeros added on each side (symmetric), one number or [height, width]. Default 0. */
  padding?: number | [number, number];
  /** Fused after the bias. Default 'none'. */
  activation?: 'none' | 'relu';
  /**
   * 'direct' (one output per invocation) or 'reg' (8 channels x 16 pixels per invocation over a
   * pre-padded input and packed weights; fastest on CPU-backed adapters). Default:
   * `rt.tuning.get('conv2d')`, else 'reg'.
   */
  variant?: Conv2dVariant | (string & {});
}

/** Output channels and pixels per invocation in kernels/conv2d_reg.wgsl. */
const REG_CHANNELS = 8;
const REG_PIXELS = 16;

function isVariant(v: unknown): v is Conv2dVariant {
  return (CONV2D_VARIANTS as readonly unknown[]).includes(v);
}

/** The variants this device can run: 'reg' binds 5 storage buffers (compatibility mode may allow 4). */
export function conv2dVariants(rt: GpuRuntime): Conv2dVariant[] {
  return CONV2D_VARIANTS.filter((v) => v !== 'reg' || rt.limits.maxStorageBuffersPerShaderStage >= 5);
}

/** The variant a call without `variant` uses on this runtime. */
export function defaultConv2dVariant(rt: GpuRuntime): Conv2dVariant {
  const tuned = rt.tuning.get('conv2d');
  const available = conv2dVariants(rt);
  if (isVariant(tuned) && available.includes(tuned)) return tuned;
  return available.includes('reg') ? 'reg' : 'direct';
}

/** Geometry of a conv2d call, checked. */
export interface Conv2dGeometry {
  N: number; C: number; H: number; W: number;
  O: number; KH: number; KW: number;
  SH: number; SW: number; PH: number; PW: number;
  OH: number; OW: number;
}

/** Validates conv2d arguments and derives the output size; shared with the CPU reference. */
export function conv2dGeometry(op: string, xShape: readonly number[], wShape: readonly number[], stride: unknown, padding: unknown): Conv2dGeometry {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [O, Cw, KH, KW] = wShape as [number, number, number, number];
  if (Cw !== C) throw new ShapeError(`${op}: weight.shape[1] (${Cw}) must equal x.shape[1] (${C})`);
  const [SH, SW] = pair(op, 'stride', stride ?? 1, 1);
  const [PH, PW] = pair(op, 'padding', padding ?? 0, 0);
  if (KH < 1 || KW < 1) throw new ShapeError(`${op}: weight kernel must be at least 1x1, got ${KH}x${KW}`);
  if (H + 2 * PH < KH || W + 2 * PW < KW) {
    throw new ShapeError(`${op}: kernel ${KH}x${KW} does not fit the padded input ${H + 2 * PH}x${W + 2 * PW}`);
  }
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  return { N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW };
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch), NCHW, with optional fused bias and ReLU.
 *
 * Shapes: x [N,C,H,W], weight [O,C,KH,KW], bias [O] → [N,O,OH,OW] with
 * OH = floor((H + 2·padH − KH) / strideH) + 1 (and the same for W). f32 only.
 *
 * @throws ShapeError when shapes, dtypes, stride or padding do not fit (the message names the argument)
 * @throws LimitExceededError when the output or the padded input exceeds the adapter's buffer limits
 * @example
 * const x = rt.upload(img, [1, 1, 28, 28]);
 * const w = rt.upload(kernels, [8, 1, 5, 5]);
 * const y = await conv2d(rt, x, w, { bias, padding: 2, activation: 'relu' }); // [1, 8, 28, 28]
 */
export async function conv2d(rt: GpuRuntime, x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Promise<Tensor> {
  const op = 'conv2d';
  expectTensor(op, 'x', x);
  expectTensor(op, 'weight', weight);
  expectRank(op, 'x', x, [4]);
  expectRank(op, 'weight', weight, [4]);
  const g = conv2dGeometry(op, x.shape, weight.shape, opts.stride, opts.padding);
  if (opts.bias !== undefined) {
    expectTensor(op, 'bias', opts.bias);
    expectShape(op, 'bias', opts.bias, [g.O]);
  }
  const act = activationId(op, opts.activation, ['none', 'relu']);
  if (opts.variant !== undefined && !isVariant(opts.variant)) {
    throw new RangeError(`${op}: variant must be one of ${CONV2D_VARIANTS.join(', ')}, got ${String(opts.variant)}`);
  }
  const variant = (opts.variant as Conv2dVariant | undefined) ?? defaultConv2dVariant(rt);
  if (!conv2dVariants(rt).includes(variant)) throw new RangeError(`${op}: variant '${variant}' needs 5 storage buffers per shader stage; this device allows fewer`);
  const outShape = [g.N, g.O, g.OH, g.OW];
  expectFits(rt, op, 'output', outShape);
  const padded = g.PH > 0 || g.PW > 0;
  const Hp = g.H + 2 * g.PH;
  const Wp = g.W + 2 * g.PW;
  const CKK = g.C * g.KH * g.KW;
  const O8 = Math.ceil(g.O / REG_CHANNELS) * REG_CHANNELS;
  if (variant === 'reg') {
    if (padded) expectFits(rt, op, 'padded input', [g.N, g.C, Hp, Wp]);
    expectFits(rt, op, 'packed weight', [CKK, O8]);
  }

  const y = rt.empty(outShape);
  if (y.size === 0) return y;
  const bias = opts.bias ?? x; // never read without HAS_BIAS; layout 'auto' still wants a buffer
  const constants = { WG, ACT: act, HAS_BIAS: !!opts.bias };

  if (variant === 'direct') {
    const total = y.size;
    return produce(y, () =>
      rt.dispatch({
        kernel: KERNELS.conv2dDirect,
        constants,
        bindings: [x, weight, bias, y],
        uniforms: u32s(g.N, g.C, g.H, g.W, g.O, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, total, 0, 0),
        workgroups: grid(rt, total),
      }),
    );
  }

  const temps: Tensor[] = [];
  return produce(
    y,
    async () => {
      let xp = x;
      if (padded) {
        xp = rt.empty([g.N, g.C, Hp, Wp]);
        temps.push(xp);
        await rt.dispatch({
          kernel: KERNELS.conv2dPad,
          constants: { WG },
          bindings: [x, xp],
          uniforms: u32s(g.N * g.C, g.H, g.W, g.PH, g.PW, Hp, Wp, g.N * g.C * Hp),
          workgroups: grid(rt, g.N * g.C * Hp),
        });
      }
      const wt = rt.empty([CKK, O8]);
      temps.push(wt);
      const tap = rt.empty([CKK], 'u32');
      temps.push(tap);
      await rt.dispatch({
        kernel: KERNELS.conv2dPack,
        constants: { WG },
        bindings: [weight, wt, tap],
        uniforms: u32s(g.O, O8, CKK, g.KH, g.KW, Hp, Wp, 0),
        workgroups: grid(rt, CKK),
      });
      const total = g.N * (O8 / REG_CHANNELS) * Math.ceil((g.OH * g.OW) / REG_PIXELS);
      // Four pixels of a channel are one aligned vec4 when the plane size is a multiple of 4.
      await rt.dispatch({
        kernel: (g.OH * g.OW) % 4 === 0 ? KERNELS.conv2dReg : KERNELS.conv2dRegScalar,
        constants,
        bindings: [xp, wt, tap, bias, y],
        uniforms: u32s(g.N, g.C, Hp, Wp, g.O, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, CKK, O8, total, 0, 0),
        workgroups: grid(rt, total),
      });
    },
    temps,
  );
}

/** FLOPs of one conv2d call (multiply and add counted separately), for GFLOP/s figures. */
export function conv2dFlops(g: Conv2dGeometry): number {
  return 2 * g.N * g.O * g.OH * g.OW * g.C * g.KH * g.KW;
}
