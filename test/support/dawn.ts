/**
 * Real WebGPU in Node through Dawn (the `webgpu` package). vite.config.ts puts the SwiftShader
 * Vulkan ICD in the environment before workers start; here we create the instance once per
 * process and keep it referenced: if Dawn's instance is garbage-collected while a device is
 * alive, the process aborts.
 */
import { create, globals } from 'webgpu';
import { acquireDevice, type AcquiredDevice } from '../../src/gpu/device.ts';
import { GpuRuntime } from '../../src/gpu/runtime.ts';

Object.assign(globalThis, globals);

const keep = globalThis as unknown as { __tabmeshDawn?: GPU };

/** The process-wide Dawn `GPU` object (Vulkan backend, SwiftShader on a machine without a GPU). */
export function dawnGpu(): GPU {
  keep.__tabmeshDawn ??= create(['backend=vulkan']) as unknown as GPU;
  return keep.__tabmeshDawn;
}

/** Opens a fresh device on the Dawn adapter. */
export function dawnDevice(): Promise<AcquiredDevice> {
  return acquireDevice({ gpu: dawnGpu() });
}

/** A started runtime on a fresh Dawn device. */
export async function dawnRuntime(): Promise<GpuRuntime> {
  const rt = new GpuRuntime({ gpu: dawnGpu() });
  await rt.start();
  return rt;
}
