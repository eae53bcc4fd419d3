import type { GpuRuntime } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { LimitExceededError, ShapeError } from '../errors.ts';
import { KERNELS, type Activation } from '../kernels.ts';
import { activationId, expectFits, expectRank, expectShape, expectTensor, produce, u32s } from './util.ts';

/** The matmul kernels the autotuner chooses between. */
export const MATMUL_VARIANTS = ['tiled', 'reg', 'reg-sg'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

export interface MatmulOptions {
  /** Added to every row of the result: shape [N]. */
  bias?: Tensor;
  /** Applied after the bias, fused into the same kernel. Default 'none'. */
  activation?: Activation;
  /**
   * Which kernel: 'reg' (register-blocked, barrier-free: fast on CPU-backed adapters), 'reg-sg'
   * (the same sharing rows of A through subgroups: faster still on SwiftShader; needs the
   * 'subgroups' feature) or 'tiled' (workgroup memory: the classic GPU kernel). Shapes with K or
   * N not a multiple of 4 run both 'reg' variants through one scalar register-blocked kernel.
   * Default: `rt.tuning.get('matmul')`, else 'reg' on a fallback adapter and 'tiled' on a real GPU.
   */
  variant?: MatmulVariant;
}

/** Output rows and columns per workgroup; both kernels cover a 64x64 tile by default. */
const TILE = 64;

function isVariant(v: unknown): v is MatmulVariant {
  return (MATMUL_VARIANTS as readonly unknown[]).includes(v);
}

/**
 * The variants this device can run: 'reg-sg' needs the 'subgroups' feature, 'tiled' a
 * 256-invocation workgroup (compatibility-mode devices may allow only 128).
 */
export function matmulVariants(rt: GpuRuntime): MatmulVariant[] {
  const sg = rt.device.features.has('subgroups');
  const big = rt.limits.maxComputeInvocationsPerWorkgroup >= 256;
  return MATMUL_VARIANTS.filter((v) => (v !== 'reg-sg' || sg) && (v !== 'tiled' || big));
}

/** The variant a call without `variant` uses on this runtime. */
export function defaultMatmulVariant(rt: GpuRuntime): MatmulVariant {
  const tuned = rt.tuning.get('matmul');
  const available = matmulVariants(rt);
  if (isVariant(tuned) && available.includes(tuned)) return tuned;
  return rt.report.isFallbackAdapter || !available.includes('tiled') ? 'reg' : 'tiled';
}

/**
 * Matrix product with optional fused bias and activation: `act(a × b + bias)`.
 *
 * Shapes: a [M,K] or [B,M,K]; b [K,N] or [B,K,N]. When only one operand has a batch axis the
 * other is broadcast over it; the result is [M,N], or [B,M,N] when either is batched. f32 only;
 * accumulation is in f32.
 *
 * Batches larger than the adapter's grid limit, and M beyond it, are split into several launches;
 * an output larger than the adapter can bind is refused with LimitExceededError before anything
 * is allocated.
 *
 * @throws ShapeError when shapes or dtypes do not fit (the message names the argument)
 * @throws LimitExceededError when the output exceeds the adapter's buffer limits
 * @example
 * const a = rt.upload(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * const b = rt.upload(new Float32Array([1, 0, 0, 1]), [2, 2]);
 * const c = await matmul(rt, a, b, { activation: 'relu' });
 * await rt.read(c); // Float32Array [1, 2, 3, 4]
 */
export async function matmul(rt: GpuRuntime, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Promise<Tensor> {
  const op = 'matmul';
  expectTensor(op, 'a', a);
  expectTensor(op, 'b', b);
  expectRank(op, 'a', a, [2, 3]);
  expectRank(op, 'b', b, [2, 3]);
  if (a.rank === 3 && b.rank === 3 && a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`${op}: a.shape[0] (${a.shape[0]}) must equal b.shape[0] (${b.shape[0]})`);
  }
  const M = a.shape[a.rank - 2]!;
  const K = a.shape[a.rank - 1]!;
  const Kb = b.shape[b.rank - 2]!;
  const N = b.shape[b.rank - 1]!;
  if (K !== Kb) throw new ShapeError(`${op}: a.shape[${a.rank - 1}] (${K}) must equal b.shape[${b.rank - 2}] (${Kb})`);
  const batched = a.rank === 3 || b.rank === 3;
  const batch = a.rank === 3 ? a.shape[0]! : b.rank === 3 ? b.shape[0]! : 1;
  if (opts.bias !== undefined) {
    expectTensor(op, 'bias', opts.bias);
    expectShape(op, 'bias', opts.bias, [N]);
  }
  const act = activationId(op, opts.activation, ['none', 'relu', 'gelu', 'silu']);
  if (opts.variant !== undefined && !isVariant(opts.variant)) {
    throw new RangeError(`${op}: variant must be one of ${MATMUL_VARIANTS.join(', ')}, got ${String(opts.variant)}`);
  }
  const variant = opts.variant ?? defaultMatmulVariant(rt);
  if (!matmulVariants(rt).includes(variant)) {
    throw new RangeError(`${op}: variant '${variant}' cannot run on this device (${variant === 'reg-sg' ? "no 'subgroups' feature" : 'fewer than 256 invocations per workgroup'})`);
  }

  const outShape = batched ? [batch, M, N] : [M, N];
  expectFits(rt, op, 'output', outShape);
  const maxDim = rt.limits.maxComputeWorkgroupsPerDimension;
  const vec4 = variant !== 'tiled' && K > 0 && K % 4 === 0 && N % 4 === 0;
  const kind = variant === 'tiled' ? 'tiled' : !vec4 ? 'scalar' : variant === 'reg-sg' ? 'sg' : 'reg';
  // Skinny products (decoding one row, a small batch of rows) would leave most of a square
  // workgroup idle past row M; a flatter one keeps the same 64 invocations busy.
  // Rows x columns per invocation: reg and scalar 8x8, sg 16x4.
  const [wx, wy] = kind === 'sg' ? (M <= 16 ? [64, 1] : M <= 32 ? [32, 2] : [16, 4]) : M <= 8 ? [64, 1] : M <= 32 ? [16, 4] : [8, 8];
  const rowsPerGroup = kind === 'tiled' ? TILE : kind === 'sg' ? 16 * wy : 8 * wy;
  const colsPerGroup = kind === 'tiled' ? TILE : kind === 'sg' ? 4 * wx : 8 * wx;
  const colGroups = Math.ceil(N / colsPerGroup);
  if (colGroups > maxDim) throw new LimitExceededError('maxComputeWorkgroupsPerDimension', colGroups, maxDim, `${op}: N = ${N} columns`);

  const c = rt.empty(outShape);
  if (c.size === 0) return c;
  const kernel = { tiled: KERNELS.matmulTiled, scalar: KERNELS.matmulRegScalar, reg: KERNELS.matmulReg, sg: KERNELS.matmulRegSg }[kind];
  const constants: Record<string, number | boolean> = { ACT: act, HAS_BIAS: !!opts.bias };
  if (kind !== 'tiled') Object.assign(constants, { WX: wx, WY: wy });
  // Without a bias the kernel never reads binding 2, but layout 'auto' still wants a buffer
  // there: `a` serves (read-only aliasing is allowed, and its size suits the vec4 layout).
  const bindings = [a, b, opts.bias ?? a, c];
  const rowGroups = Math.ceil(M / rowsPerGroup);
  return produce(c, async () => {
    for (let b0 = 0; b0 < batch; b0 += maxDim) {
      const nb = Math.min(maxDim, batch - b0);
      for (let g0 = 0; g0 < rowGroups; g0 += maxDim) {
        const ng = Math.min(maxDim, rowGroups - g0);
        await rt.dispatch({
          kernel,
          constants,
          bindings,
          uniforms: u32s(M, N, K, b0, a.rank === 3 ? M * K : 0, b.rank === 3 ? K * N : 0, M * N, g0 * rowsPerGroup),
          workgroups: [colGroups, ng, nb],
        });
      }
    }
  });
}

/** FLOPs of one matmul call (multiply and add counted separately), for GFLOP/s figures. */
export function matmulFlops(aShape: readonly number[], bShape: readonly number[]): number {
  const batch = aShape.length === 3 ? aShape[0]! : bShape.length === 3 ? bShape[0]! : 1;
  const M = aShape[aShape.length - 2]!;
  const K = aShape[aShape.length - 1]!;
  const N = bShape[bShape.length - 1]!;
  return 2 * batch * M * N * K;
}
