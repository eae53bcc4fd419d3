/**
 * The WGSL kernels as {@link Kernel} objects. Sources live in `kernels/*.wgsl` and are inlined
 * by Vite's `?raw` imports (in the browser build and in vitest alike), so there is no fetch at
 * run time and a kernel cannot drift from the code that binds it.
 *
 * Kernels that fuse an activation get `kernels/activation.wgsl` prepended, so a fused GELU and
 * the standalone gelu op are the same code and round identically.
 *
 * Conventions every kernel follows (see the ops in `./ops/`): storage bindings 0..n-1 in the
 * order the op passes them, the uniform params struct at binding n; specialisation (workgroup
 * size, fused activation, mode) through `override` constants; every output element is written
 * (pool buffers are reused and hold garbage); large element counts are folded into a 2-D grid by
 * `gridFor` (runtime.ts) and recovered as `g.x + g.y * num_workgroups.x * WG`.
 *
 * Variants, and why there are several. On CPU-backed adapters (SwiftShader, llvmpipe) a shader
 * runs 4 invocations per SIMD register, every load whose address differs per invocation is a
 * gather costing about the same whatever its width, and every barrier is a coroutine switch. So
 * speed there is FMAs per load instruction, with no barriers. On real GPUs it is the opposite:
 * workgroup-memory tiling wins. The autotuner (../autotune.ts) measures them per adapter.
 *   matmul  'tiled'   64x64 tile per 256-invocation workgroup through workgroup memory.
 *           'reg'     8x8 outputs per invocation from global memory, vec4 (K, N % 4 == 0) or
 *                     scalar-gather fallback; barrier-free.
 *           'reg-sg'  16x4 outputs per invocation, the 4 invocations of a subgroup sharing rows
 *                     of A through subgroupBroadcast: half the loads of 'reg' (needs 'subgroups').
 *   conv2d  'direct'  one output per invocation.
 *           'reg'     8 channels x 16 pixels per invocation over a pre-padded input, packed
 *                     weights and a tap-offset table (an implicit GEMM); vec4 stores when
 *                     OH*OW % 4 == 0, scalar stores otherwise.
 * Measured with Dawn on SwiftShader (Subzero JIT, 2 shared cores, so ±30-100% run to run; the
 * headers of the kernel files say which alternatives lost), GFLOP/s on a quiet machine:
 *   matmul n×n×n      256    512    1024          conv2d, batch 64, 5x5 pad 2 (+bias, relu)
 *   'reg-sg'          4.0    4.5    4.8           [64,1,28,28] -> 8     'reg' 2.6  'direct' 0.18
 *   'reg'             2.9    3.4    4.2           [64,8,14,14] -> 16    'reg' 2.6  'direct' 0.20
 *   'tiled'           0.74   0.91   -
 * (the whole digits CNN forward at batch 64: ~40-45 ms, of which the second conv is half).
 *
 * One more SwiftShader lesson the kernels follow: it inlines every function call site, so an
 * activation called from an unrolled epilogue is emitted dozens of times (GELU included) and
 * compilation slows by seconds; epilogues therefore loop over the accumulators with one call.
 */
import type { Kernel } from './pipeline-cache.ts';
import activation from '../../kernels/activation.wgsl?raw';
import matmulReg from '../../kernels/matmul_reg.wgsl?raw';
import matmulRegScalar from '../../kernels/matmul_reg_scalar.wgsl?raw';
import matmulTiled from '../../kernels/matmul_tiled.wgsl?raw';
import matmulRegSg from '../../kernels/matmul_reg_sg.wgsl?raw';
import conv2dDirect from '../../kernels/conv2d_direct.wgsl?raw';
import conv2dReg from '../../kernels/conv2d_reg.wgsl?raw';
import conv2dRegScalar from '../../kernels/conv2d_reg_scalar.wgsl?raw';
import conv2dPad from '../../kernels/conv2d_pad.wgsl?raw';
import conv2dPack from '../../kernels/conv2d_pack.wgsl?raw';
import pool2d from '../../kernels/pool2d.wgsl?raw';
import unary from '../../kernels/unary.wgsl?raw';
import binary from '../../kernels/binary.wgsl?raw';
import softmax from '../../kernels/softmax.wgsl?raw';
import norm from '../../kernels/norm.wgsl?raw';
import embedding from '../../kernels/embedding.wgsl?raw';
import argmax from '../../kernels/argmax.wgsl?raw';
import transpose from '../../kernels/transpose.wgsl?raw';

export type { gridFor } from './runtime.ts';

const withAct = (code: string): string => `${activation}\n${code}`;

/** WGSL requires `enable` directives before any declaration: keep them first. */
function withActAfterEnable(code: string): string {
  const enables = code.match(/^\s*enable [^;]+;/gm) ?? [];
  const rest = enables.reduce((c, e) => c.replace(e, ''), code);
  return `${enables.map((e) => e.trim()).join('\n')}\n${activation}\n${rest}`;
}

/** Activation ids shared by every kernel with an `ACT` override (see kernels/activation.wgsl). */
export const ACTIVATION_IDS = { none: 0, relu: 1, gelu: 2, silu: 3 } as const;
export type Activation = keyof typeof ACTIVATION_IDS;

export const KERNELS = {
  matmulReg: { name: 'matmul_reg', code: withAct(matmulReg) },
  matmulRegScalar: { name: 'matmul_reg_scalar', code: withAct(matmulRegScalar) },
  matmulTiled: { name: 'matmul_tiled', code: withAct(matmulTiled) },
  /** Needs the 'subgroups' feature (the source starts with `enable subgroups;`, which must stay first). */
  matmulRegSg: { name: 'matmul_reg_sg', code: withActAfterEnable(matmulRegSg) },
  conv2dDirect: { name: 'conv2d_direct', code: withAct(conv2dDirect) },
  /** vec4 output: needs OH*OW % 4 == 0. Fuses only none/relu, so no activation prelude. */
  conv2dReg: { name: 'conv2d_reg', code: conv2dReg },
  conv2dRegScalar: { name: 'conv2d_reg_scalar', code: conv2dRegScalar },
  conv2dPad: { name: 'conv2d_pad', code: conv2dPad },
  conv2dPack: { name: 'conv2d_pack', code: conv2dPack },
  pool2d: { name: 'pool2d', code: pool2d },
  unary: { name: 'unary', code: withAct(unary) },
  binary: { name: 'binary', code: binary },
  softmax: { name: 'softmax', code: softmax },
  norm: { name: 'norm', code: norm },
  embedding: { name: 'embedding', code: embedding },
  argmax: { name: 'argmax', code: argmax },
  transpose: { name: 'transpose', code: transpose },
} as const satisfies Record<string, Kernel>;
