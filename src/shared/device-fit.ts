/**
 * Whether this device can run a model, decided before any download: which
 * export of a catalog model fits the WebGPU adapter's features and limits, and
 * whether a backend can hold a model's weights at all. What cannot work is
 * refused with the reason and the numbers, not left to fail inside ORT at
 * session creation. Pure: the caller passes the adapter.
 */
import type { AdapterSummary, Backend } from './backend.ts';
import { approxVariantBytes, variantFiles, type CatalogEntry, type CatalogVariant, type VariantRequirements } from './catalog.ts';
import type { ModelManifest } from './model.ts';
import { networkBytes, networkLabel } from './networks.ts';

/**
 * Weights ORT's wasm backend can hold at once. Its heap is wasm32 memory,
 * 4 GiB at most; the fp32 SD-Turbo UNet (3.46 GB of weights) loads and runs
 * there at 64x64, the three networks together (5.02 GB) cannot
 * (docs/real-size.md). The rest is left for the graph, activations and ORT.
 */
export const WASM_WEIGHT_LIMIT = 3.5 * 2 ** 30;

/** How a backend can hold a model: all networks at once, only one at a time (low-memory mode), or not at all. */
export type Fit = { kind: 'all' } | { kind: 'one-at-a-time'; reason: string } | { kind: 'none'; reason: string };

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
const limit = `the ${gb(WASM_WEIGHT_LIMIT)} the CPU (wasm) backend can hold`;

/**
 * Where the networks' weights fit in the wasm heap. fp16 weights count twice:
 * ORT's CPU backend holds them as fp32 (the fp16 SD-Turbo UNet, 1.73 GB,
 * took 3.4 GB of heap; docs/real-size.md).
 */
export function wasmFit(files: readonly { path: string; bytes: number }[], precision: 'fp16' | 'fp32' = 'fp32'): Fit {
  const scale = precision === 'fp16' ? 2 : 1;
  const held = precision === 'fp16' ? ' as fp32' : '';
  const sizes = networkBytes(files).map((size) => ({ ...size, bytes: size.bytes * scale }));
  const total = sizes.reduce((sum, size) => sum + size.bytes, 0);
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  if (largest.bytes > WASM_WEIGHT_LIMIT) return { kind: 'none', reason: `its ${networkLabel(largest.network)} alone needs ${gb(largest.bytes)} for its weights${held}, more than ${limit}; it needs WebGPU` };
  if (total > WASM_WEIGHT_LIMIT) return { kind: 'one-at-a-time', reason: `its networks need ${gb(total)} for their weights${held}, more than ${limit}, so it runs one network at a time` };
  return { kind: 'all' };
}

/** What of a WebGPU adapter decides whether a model's weights fit it. */
export type GpuAbilities = Pick<AdapterSummary, 'features' | 'maxBufferSize' | 'maxStorageBufferBindingSize'>;

/** Why `backend` (on this GPU, for WebGPU) cannot run the model at all, or `undefined` when it can. */
export function manifestMisfit(manifest: Pick<ModelManifest, 'precision' | 'files' | 'largestTensorBytes'>, backend: Backend, gpu: GpuAbilities | undefined): string | undefined {
  if (backend === 'webgpu') {
    if (manifest.precision === 'fp16' && !gpu?.features.includes('shader-f16')) return 'its fp16 weights need the WebGPU feature "shader-f16", which this GPU lacks';
    const largest = manifest.largestTensorBytes;
    return gpu && largest !== undefined ? gpuShortfall({ backends: ['webgpu'], features: [], minMaxBufferSize: largest, minStorageBufferBindingSize: largest }, gpu) : undefined;
  }
  const fit = wasmFit(manifest.files.map((file) => ({ path: file.path, bytes: file.size })), manifest.precision);
  return fit.kind === 'none' ? fit.reason : undefined;
}

/** The variant to load and the backend to run it on, or why none can run here. */
export type VariantChoice = { variant: CatalogVariant; backend: Backend } | { reason: string };

/**
 * Picks the first variant this device can run. `adapter` is the WebGPU
 * adapter, or `undefined` when only the CPU (wasm) backend is available.
 */
export function pickVariant(entry: CatalogEntry, adapter: AdapterSummary | undefined): VariantChoice {
  const misfits: string[] = [];
  for (const variant of entry.variants) {
    const { backends } = variant.requirements;
    let misfit: string | undefined;
    if (adapter && backends.includes('webgpu')) {
      misfit = gpuShortfall(variant.requirements, adapter);
      if (misfit === undefined) return { variant, backend: 'webgpu' };
    }
    if (backends.includes('wasm')) {
      const fit = wasmFit(variantFiles(variant), variant.precision);
      if (fit.kind !== 'none') return { variant, backend: 'wasm' };
      misfit = misfit ? `${misfit}; on the CPU (wasm) backend, ${fit.reason}` : fit.reason;
    }
    misfit ??= `${describeWeights(variant)} too big for the CPU (wasm) backend; it needs WebGPU`;
    misfits.push(entry.variants.length > 1 ? `${variant.id}: ${misfit}` : misfit);
  }
  return { reason: misfits.join('; ') };
}

function gpuShortfall(needs: VariantRequirements, adapter: GpuAbilities): string | undefined {
  const problems = needs.features
    .filter((feature) => !adapter.features.includes(feature))
    .map((feature) => `needs the WebGPU feature ${feature}, which this GPU lacks`);
  const limits = [
    ['maxBufferSize', needs.minMaxBufferSize, adapter.maxBufferSize],
    ['maxStorageBufferBindingSize', needs.minStorageBufferBindingSize, adapter.maxStorageBufferBindingSize],
  ] as const;
  for (const [name, needed, allowed] of limits) {
    if (needed !== undefined && allowed < needed) {
      problems.push(`needs a ${name} of at least ${bytes(needed)}, but this GPU allows ${bytes(allowed)}`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

function describeWeights(variant: CatalogVariant): string {
  const total = approxVariantBytes(variant);
  const size = total > 0 ? ` (about ${(total / 1e9).toFixed(1)} GB)` : '';
  return `its ${variant.precision} weights${size} are`;
}

const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes (${Math.round(n / 2 ** 20)} MiB)`;
