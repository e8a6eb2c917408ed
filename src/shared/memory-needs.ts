/**
 * How much GPU memory a model needs with all its networks loaded (three, four with a VAE encoder) and with
 * one at a time (low-memory mode), and whether this device should use
 * low-memory mode. Pure: the caller passes the adapter and the device memory.
 */
import type { AdapterSummary } from './backend.ts';
import { networkBytes, networkLabel } from './networks.ts';

// Weights plus what a run adds on top (activations, ORT's staging): a rough 25%, measured on neither.
const RUN_OVERHEAD = 1.25;

export interface MemoryNeeds {
  /** All its networks resident, as normal mode holds them. */
  allBytes: number;
  /** The largest network alone: low-memory mode's peak. */
  largestBytes: number;
  largest: string;
}

/** Sums the files in each network's folder (`unet/model.onnx`, `unet/model.onnx_data`...), other files ignored; `undefined` when no size is known. */
export function memoryNeeds(files: readonly { path: string; bytes: number }[]): MemoryNeeds | undefined {
  const sizes = networkBytes(files);
  const all = sizes.reduce((sum, size) => sum + size.bytes, 0);
  if (all === 0) return undefined;
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { allBytes: Math.round(all * RUN_OVERHEAD), largestBytes: Math.round(largest.bytes * RUN_OVERHEAD), largest: networkLabel(largest.network) };
}

/**
 * WebGPU does not say how much memory a GPU has. Two facts stand in for it: the
 * largest buffer the adapter allows (small on phones and older integrated
 * GPUs, which also have little memory; a quarter of its memory or less on
 * most desktop drivers) and `navigator.deviceMemory`, the system's memory
 * (browsers cap it at 8 GiB), which integrated GPUs share with everything else.
 */
export function gpuBudget(adapter: AdapterSummary | undefined, deviceMemoryGiB: number | undefined): { bytes: number; basis: string } | undefined {
  const limits: { bytes: number; basis: string }[] = [];
  if (adapter) limits.push({ bytes: 4 * adapter.maxBufferSize, basis: `4 × this GPU's largest buffer (${gib(adapter.maxBufferSize)})` });
  if (deviceMemoryGiB) limits.push({ bytes: (deviceMemoryGiB * 2 ** 30) / 2, basis: `half of the ${deviceMemoryGiB} GB this device reports` });
  return limits.length > 0 ? limits.reduce((a, b) => (b.bytes < a.bytes ? b : a)) : undefined;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Why low-memory mode is suggested for a model on this device, or `undefined` when the whole pipeline fits. */
export function lowMemoryAdvice(needs: MemoryNeeds | undefined, budget: { bytes: number; basis: string } | undefined): string | undefined {
  if (!needs || !budget || needs.allBytes <= budget.bytes) return undefined;
  const fits = needs.largestBytes <= budget.bytes ? '' : ' It may not fit even then.';
  return `This model needs about ${gib(needs.allBytes)} of GPU memory with all its networks loaded, more than the ${gib(budget.bytes)} this device can likely spare (${budget.basis}). Low-memory mode needs about ${gib(needs.largestBytes)} (its ${needs.largest}) but loads each network for every image.${fits}`;
}
