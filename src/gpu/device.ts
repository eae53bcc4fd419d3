import { NoAdapterError, WebGPUUnavailableError } from './errors.ts';

/** What the page shows a contributor and what a scheduler compares: adapter identity and limits. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupSizeX: number;
    maxComputeWorkgroupSizeY: number;
    maxComputeWorkgroupSizeZ: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

export interface AcquireDeviceOptions {
  /** The WebGPU entry point; defaults to `navigator.gpu`. Node passes the `webgpu` package's. */
  gpu?: GPU | undefined;
  powerPreference?: GPUPowerPreference;
  /** 'compatibility' accepts OpenGL-ES-backed adapters (e.g. llvmpipe through ANGLE). */
  featureLevel?: 'core' | 'compatibility';
  label?: string;
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
}

/** Optional features worth having when the adapter offers them; none is required. */
const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName];

function describeAdapter(adapter: GPUAdapter): AdapterReport {
  const i = adapter.info;
  const L = adapter.limits;
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    // Older implementations put isFallbackAdapter on the adapter rather than on info.
    isFallbackAdapter: Boolean((i as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].map(String).sort(),
    limits: {
      maxBufferSize: L.maxBufferSize,
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupSizeZ: L.maxComputeWorkgroupSizeZ,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    },
  };
}

/**
 * Finds an adapter and opens a device with the adapter's full compute limits (the defaults are
 * far lower: 128 MiB bindings, 256 invocations, and only 128 in compatibility mode).
 *
 * Fallback (software) adapters are accepted: a contributor with SwiftShader is slow but
 * correct, and the benchmark score tells schedulers how slow.
 *
 * @throws WebGPUUnavailableError when there is no `navigator.gpu`
 * @throws NoAdapterError when no adapter is found
 * @example
 * const { device, report } = await acquireDevice();
 * console.log(report.description, report.limits.maxStorageBufferBindingSize);
 */
export async function acquireDevice(opts: AcquireDeviceOptions = {}): Promise<AcquiredDevice> {
  const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new WebGPUUnavailableError();
  const adapterOpts: GPURequestAdapterOptions = {};
  if (opts.powerPreference) adapterOpts.powerPreference = opts.powerPreference;
  if (opts.featureLevel) (adapterOpts as { featureLevel?: string }).featureLevel = opts.featureLevel;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(adapterOpts);
  } catch (e) {
    throw new NoAdapterError(`requestAdapter() failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new NoAdapterError();
  const report = describeAdapter(adapter);
  const L = adapter.limits;
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: opts.label ?? 'tabmesh',
    requiredFeatures,
    requiredLimits: {
      maxBufferSize: L.maxBufferSize,
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupSizeZ: L.maxComputeWorkgroupSizeZ,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    },
  });
  return { adapter, device, report };
}
