/**
 * Whether a backend can run a model, decided from its manifest before any
 * download: what cannot work is refused with the reason and the numbers, not
 * left to fail inside ORT at session creation. Pure.
 */
import type { Backend } from './backend.ts';
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
  if (total > WASM_WEIGHT_LIMIT) return { kind: 'one-at-a-time', reason: `its three networks need ${gb(total)} for their weights${held}, more than ${limit}, so it runs one network at a time` };
  return { kind: 'all' };
}

/** Why `backend` (with these WebGPU features) cannot run the model at all, or `undefined` when it can. */
export function manifestMisfit(manifest: Pick<ModelManifest, 'precision' | 'files'>, backend: Backend, gpuFeatures: readonly string[]): string | undefined {
  if (backend === 'webgpu') {
    const f16 = manifest.precision === 'fp16' && !gpuFeatures.includes('shader-f16');
    return f16 ? 'its fp16 weights need the WebGPU feature "shader-f16", which this GPU lacks' : undefined;
  }
  const fit = wasmFit(manifest.files.map((file) => ({ path: file.path, bytes: file.size })), manifest.precision);
  return fit.kind === 'none' ? fit.reason : undefined;
}
