import { describe, expect, it } from 'vitest';
import { gpuBudget, lowMemoryAdvice, memoryNeeds } from './memory-needs.ts';
import type { AdapterSummary } from './backend.ts';

const GiB = 2 ** 30;
// SD 1.5 fp16 as its catalog entry sizes it.
const sd15 = memoryNeeds([
  { path: 'text_encoder/model.onnx', bytes: 246e6 },
  { path: 'unet/model.onnx', bytes: 94e6 },
  { path: 'unet/model.onnx_data', bytes: 1.64e9 },
  { path: 'vae_decoder/model.onnx', bytes: 99e6 },
  { path: 'tokenizer/vocab.json', bytes: 1e6 },
]);
const adapter = (maxBufferSize: number): AdapterSummary => ({ vendor: 'v', architecture: 'a', description: '', isFallbackAdapter: false, features: [], maxBufferSize, maxStorageBufferBindingSize: maxBufferSize });

describe('memory needs', () => {
  it('sums each network with its external data, ignoring other files', () => {
    expect(sd15).toEqual({ allBytes: Math.round(2.079e9 * 1.25), largestBytes: Math.round(1.734e9 * 1.25), largest: 'UNet' });
    expect(memoryNeeds([{ path: 'tokenizer/vocab.json', bytes: 10 }])).toBeUndefined();
  });

  it('takes the smaller of the adapter and device-memory budgets', () => {
    expect(gpuBudget(adapter(256 * 2 ** 20), 8)).toEqual({ bytes: GiB, basis: "4 × this GPU's largest buffer (0.3 GiB)" });
    expect(gpuBudget(adapter(4 * GiB), 4)).toEqual({ bytes: 2 * GiB, basis: 'half of the 4 GB this device reports' });
    expect(gpuBudget(undefined, undefined)).toBeUndefined();
  });

  it('suggests low-memory mode only where the whole pipeline does not fit', () => {
    expect(lowMemoryAdvice(sd15, gpuBudget(adapter(4 * GiB), 8))).toBeUndefined();
    const advice = lowMemoryAdvice(sd15, gpuBudget(adapter(600 * 2 ** 20), 8));
    expect(advice).toContain("about 2.4 GiB of GPU memory with all its networks loaded, more than the 2.3 GiB this device can likely spare (4 × this GPU's largest buffer (0.6 GiB))");
    expect(advice).toContain('Low-memory mode needs about 2.0 GiB (its UNet)');
    expect(advice).not.toContain('may not fit even then');
    expect(lowMemoryAdvice(sd15, gpuBudget(adapter(4 * GiB), 4))).toContain('It may not fit even then.');
    expect(lowMemoryAdvice(sd15, gpuBudget(adapter(256 * 2 ** 20), undefined))).toContain('It may not fit even then.');
    expect(lowMemoryAdvice(undefined, gpuBudget(adapter(1), 1))).toBeUndefined();
  });
});
