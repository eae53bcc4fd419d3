/**
 * CPU references for every GPU op: pure TypeScript over typed arrays with explicit shapes, no
 * GPU, Node or Vite dependency (safe in the browser, in workers, and in Node scripts). Sums
 * accumulate in f64 and round once to f32, so they are the yardstick the GPU kernels are
 * measured against (test/compliance/kernels.ts), and they compute the digits model on the CPU.
 */
export type { HostTensor, HostData, RefActivation } from './types.ts';
export { matmulRef, type MatmulRefOptions } from './matmul.ts';
export { conv2dRef, type Conv2dRefOptions } from './conv2d.ts';
export { maxPool2dRef } from './max-pool2d.ts';
export { avgPool2dRef } from './avg-pool2d.ts';
export type { Pool2dRefOptions } from './pool2d.ts';
export { addRef } from './add.ts';
export { mulRef } from './mul.ts';
export { reluRef } from './relu.ts';
export { geluRef } from './gelu.ts';
export { siluRef } from './silu.ts';
export { geluScalar, siluScalar, reluScalar } from './activations.ts';
export { softmaxRef } from './softmax.ts';
export { layerNormRef } from './layer-norm.ts';
export { rmsNormRef } from './rms-norm.ts';
export { embeddingRef } from './embedding.ts';
export { argmaxRef } from './argmax.ts';
export { transposeRef } from './transpose.ts';
