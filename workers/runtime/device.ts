import type { AdapterSummary } from '../../src/shared/backend.ts';

export type DeviceResult =
  | { ok: true; device: GPUDevice; adapter: AdapterSummary }
  | { ok: false; reason: string };

// The limits ORT's WebGPU EP asks for when it creates its own device.
const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
] as const;

const WANTED_FEATURES: GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups' as GPUFeatureName];

/**
 * Requests an adapter and a device the worker owns. Owning it means releasing
 * every ORT session never destroys it, so its `lost` promise signals a real
 * loss (docs/ort-web.md, "The device").
 */
export async function acquireDevice(): Promise<DeviceResult> {
  if (!('gpu' in navigator) || !navigator.gpu) return { ok: false, reason: 'This browser has no WebGPU.' };
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    return { ok: false, reason: 'The browser offered no WebGPU adapter (blocked after GPU crashes, or no usable GPU).' };
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = WANTED_FEATURES.filter((feature) => adapter.features.has(feature));
  try {
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    return {
      ok: true,
      device,
      adapter: {
        vendor: adapter.info.vendor,
        architecture: adapter.info.architecture,
        description: adapter.info.description,
        isFallbackAdapter: adapter.info.isFallbackAdapter,
        features: [...adapter.features].sort(),
        maxBufferSize: adapter.limits.maxBufferSize,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      },
    };
  } catch (error) {
    return { ok: false, reason: `The WebGPU device could not be created: ${(error as Error).message}` };
  }
}
