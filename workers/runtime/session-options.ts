/**
 * The options every ORT session of the worker is created with, and the lever
 * a build may turn for `npm run bench`. Which other ORT 1.30 options were
 * measured and why each is left out: docs/ort-web.md, "Shapes" (free
 * dimension overrides), "GPU buffer cache", "Graph capture".
 */
import type * as OrtModule from 'onnxruntime-web';
import type { Backend } from '../../src/shared/backend.ts';

type SessionOptions = OrtModule.InferenceSession.SessionOptions;
export type StorageBufferCacheMode = NonNullable<OrtModule.InferenceSession.WebGpuExecutionProviderOption['storageBufferCacheMode']>;

const STORAGE_BUFFER_CACHE_MODES: readonly StorageBufferCacheMode[] = ['disabled', 'lazyRelease', 'simple', 'bucket'];

/**
 * How ORT's WebGPU EP caches the buffers a run allocates: the mode a build
 * names in `HEARTH_STORAGE_BUFFER_CACHE` (bench/load-memory.ts builds one per
 * mode), else ORT's default 'bucket', which measured no worse
 * (docs/ort-web.md, "GPU buffer cache").
 */
export function storageBufferCacheMode(fromBuild: string | undefined): StorageBufferCacheMode {
  if (fromBuild === undefined || fromBuild === '') return 'bucket';
  const mode = STORAGE_BUFFER_CACHE_MODES.find((candidate) => candidate === fromBuild);
  if (!mode) throw new Error(`HEARTH_STORAGE_BUFFER_CACHE is "${fromBuild}"; ORT knows ${STORAGE_BUFFER_CACHE_MODES.join(', ')}`);
  return mode;
}

/** The execution provider for `backend`: the app's own GPU device under WebGPU (docs/ort-web.md, "The device"). */
export function executionProviders(backend: Backend, device: GPUDevice | undefined): SessionOptions['executionProviders'] {
  if (backend === 'wasm') return ['wasm'];
  return [{ name: 'webgpu', device, storageBufferCacheMode: storageBufferCacheMode(import.meta.env.HEARTH_STORAGE_BUFFER_CACHE) }];
}

export function sessionOptions(backend: Backend, device: GPUDevice | undefined): SessionOptions {
  return {
    executionProviders: executionProviders(backend, device),
    // Native WebGPU mis-computes Conv -> SiLU -> SiLU above 'basic' (docs/ort-web.md, "Graph optimisation level").
    graphOptimizationLevel: 'basic',
    // Node-placement warnings (shape ops kept on the CPU) are expected and only noise in the console.
    logSeverityLevel: 3,
  };
}
