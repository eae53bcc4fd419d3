/**
 * The tensor ops: one async function per op, each `op(rt, ...tensors, opts?) → Promise<Tensor>`.
 * Ops record kernel launches into the runtime's pending batch (nothing runs until `rt.read`,
 * `rt.flush` or `rt.sync`), validate their arguments at the boundary (ShapeError naming the
 * argument), and never consume their inputs: the caller releases what it owns.
 */
export { matmul, matmulFlops, MATMUL_VARIANTS, matmulVariants, defaultMatmulVariant, type MatmulOptions, type MatmulVariant } from './matmul.ts';
export { conv2d, conv2dFlops, conv2dGeometry, CONV2D_VARIANTS, conv2dVariants, defaultConv2dVariant, type Conv2dOptions, type Conv2dVariant, type Conv2dGeometry } from './conv2d.ts';
export { maxPool2d, type MaxPool2dOptions } from './max-pool2d.ts';
export { avgPool2d, type AvgPool2dOptions } from './avg-pool2d.ts';
export { pool2dGeometry, type Pool2dOptions, type Pool2dGeometry } from './pool-common.ts';
export { add } from './add.ts';
export { mul } from './mul.ts';
export { broadcastShapes } from './binary-common.ts';
export { relu } from './relu.ts';
export { gelu } from './gelu.ts';
export { silu } from './silu.ts';
export { softmax } from './softmax.ts';
export { layerNorm, type LayerNormOptions } from './layer-norm.ts';
export { rmsNorm, type RmsNormOptions } from './rms-norm.ts';
export { embedding } from './embedding.ts';
export { argmax } from './argmax.ts';
export { transpose } from './transpose.ts';
