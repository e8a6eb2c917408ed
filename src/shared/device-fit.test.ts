import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AdapterSummary } from './backend.ts';
import { parseCatalog, type CatalogEntry } from './catalog.ts';
import { manifestMisfit, pickVariant, wasmFit, WASM_WEIGHT_LIMIT } from './device-fit.ts';

const catalog = parseCatalog(JSON.parse(readFileSync(new URL('../../public/catalog.json', import.meta.url), 'utf8')));
const entry = (id: string): CatalogEntry => catalog.models.find((model) => model.id === id)!;

const MiB = 2 ** 20;
const gpu = (change: Partial<AdapterSummary> = {}): AdapterSummary => ({
  vendor: 'test',
  architecture: '',
  description: '',
  isFallbackAdapter: false,
  features: ['shader-f16'],
  maxBufferSize: 2048 * MiB,
  maxStorageBufferBindingSize: 2048 * MiB,
  ...change,
});


// The fp32 SD-Turbo export's files, as the real-shape generator writes them.
const SD_TURBO_FP32 = [
  { path: 'text_encoder/model.onnx', bytes: 1_361_685_905 },
  { path: 'unet/model.onnx', bytes: 313_543 },
  { path: 'unet/model.onnx_data', bytes: 3_463_642_880 },
  { path: 'vae_decoder/model.onnx', bytes: 198_018_007 },
  { path: 'tokenizer/vocab.json', bytes: 862_328 },
];
const asManifest = (files: typeof SD_TURBO_FP32, precision: 'fp16' | 'fp32' = 'fp32') => ({
  precision,
  files: files.map((file) => ({ path: file.path, size: file.bytes, sha256: '0'.repeat(64) })),
});

describe('device fit', () => {
  it('runs a model whose networks fit the wasm heap together with all three held', () => {
    expect(wasmFit([{ path: 'unet/model.onnx', bytes: 1e9 }, { path: 'text_encoder/model.onnx', bytes: 1e9 }])).toEqual({ kind: 'all' });
  });

  it('runs the fp32 SD-Turbo on wasm one network at a time: its UNet fits, the three do not', () => {
    expect(wasmFit(SD_TURBO_FP32)).toEqual({
      kind: 'one-at-a-time',
      reason: 'its networks need 5.02 GB for their weights, more than the 3.76 GB the CPU (wasm) backend can hold, so it runs one network at a time',
    });
  });

  it('refuses wasm with the numbers when one network alone is over the heap', () => {
    const big = [{ path: 'unet/model.onnx_data', bytes: WASM_WEIGHT_LIMIT + 1 }];
    expect(manifestMisfit(asManifest(big), 'wasm', undefined)).toBe(
      'its UNet alone needs 3.76 GB for its weights, more than the 3.76 GB the CPU (wasm) backend can hold; it needs WebGPU',
    );
    expect(manifestMisfit(asManifest(big), 'webgpu', gpu({ features: [] })), 'WebGPU keeps weights in GPU buffers, not the wasm heap').toBeUndefined();
  });

  it('refuses a GPU whose buffers cannot hold the largest tensor a manifest states, with both numbers', () => {
    const embedding = { ...asManifest(SD_TURBO_FP32), largestTensorBytes: 202_375_168 };
    expect(manifestMisfit(embedding, 'webgpu', gpu({ maxStorageBufferBindingSize: 128 * MiB }))).toBe(
      'needs a maxStorageBufferBindingSize of at least 202,375,168 bytes (193 MiB), but this GPU allows 134,217,728 bytes (128 MiB)',
    );
    expect(manifestMisfit(embedding, 'webgpu', gpu())).toBeUndefined();
    expect(manifestMisfit(asManifest(SD_TURBO_FP32), 'webgpu', gpu({ maxStorageBufferBindingSize: 128 * MiB })), 'a manifest that states no tensor size is checked at load').toBeUndefined();
  });

  it('refuses fp16 on a GPU without shader-f16 and runs it on one that has it', () => {
    expect(manifestMisfit(asManifest(SD_TURBO_FP32, 'fp16'), 'webgpu', gpu({ features: [] }))).toBe('its fp16 weights need the WebGPU feature "shader-f16", which this GPU lacks');
    expect(manifestMisfit(asManifest(SD_TURBO_FP32, 'fp16'), 'webgpu', gpu())).toBeUndefined();
    expect(manifestMisfit(asManifest(SD_TURBO_FP32, 'fp16'), 'wasm', undefined)).toBe(
      'its UNet alone needs 6.93 GB for its weights as fp32, more than the 3.76 GB the CPU (wasm) backend can hold; it needs WebGPU',
    );
  });

  it('counts fp16 weights twice on wasm, which holds them as fp32', () => {
    const fp16 = SD_TURBO_FP32.map((file) => ({ ...file, bytes: Math.round(file.bytes / 2) }));
    expect(wasmFit(fp16, 'fp16')).toEqual({
      kind: 'one-at-a-time',
      reason: 'its networks need 5.02 GB for their weights as fp32, more than the 3.76 GB the CPU (wasm) backend can hold, so it runs one network at a time',
    });
  });
});

describe('pickVariant', () => {
  it('picks the fp16 export on a GPU with shader-f16', () => {
    expect(pickVariant(entry('sd-turbo'), gpu())).toEqual({ variant: entry('sd-turbo').variants[0], backend: 'webgpu' });
  });

  it('refuses SD-Turbo on a GPU without shader-f16, naming the feature', () => {
    const choice = pickVariant(entry('sd-turbo'), gpu({ features: [] }));
    expect(choice).toEqual({ reason: 'needs the WebGPU feature shader-f16, which this GPU lacks' });
  });

  it('falls back to the fp32 export on a GPU without shader-f16', () => {
    const choice = pickVariant(entry('lcm-dreamshaper-v7'), gpu({ features: [] }));
    expect('variant' in choice && choice.variant.id).toBe('fp32');
  });

  it('refuses with the numbers when a buffer limit is too small', () => {
    const choice = pickVariant(entry('sd-turbo'), gpu({ maxBufferSize: 64 * MiB }));
    expect(choice).toEqual({
      reason: 'needs a maxBufferSize of at least 101,187,584 bytes (97 MiB), but this GPU allows 67,108,864 bytes (64 MiB)',
    });
  });

  it('says why each export fails when none fits', () => {
    const choice = pickVariant(entry('sd15'), gpu({ features: [], maxStorageBufferBindingSize: 128 * MiB }));
    expect(choice).toEqual({
      reason:
        'fp16: needs the WebGPU feature shader-f16, which this GPU lacks; ' +
        'fp32: needs a maxStorageBufferBindingSize of at least 151,781,376 bytes (145 MiB), but this GPU allows 134,217,728 bytes (128 MiB)',
    });
  });

  it('refuses real models on the CPU backend as too big', () => {
    expect(pickVariant(entry('sd-turbo'), undefined)).toEqual({
      reason: 'its fp16 weights (about 2.6 GB) are too big for the CPU (wasm) backend; it needs WebGPU',
    });
  });

  it('runs a variant on wasm when it says it can', () => {
    const turbo = entry('sd-turbo');
    const variant = { ...turbo.variants[0], requirements: { ...turbo.variants[0].requirements, backends: ['webgpu' as const, 'wasm' as const] } };
    expect(pickVariant({ ...turbo, variants: [variant] }, undefined)).toEqual({ variant, backend: 'wasm' });
  });

  it('refuses a wasm variant whose UNet alone is over the wasm heap, with the numbers', () => {
    const lcm = entry('lcm-dreamshaper-v7');
    const fp32 = lcm.variants.find((v) => v.precision === 'fp32')!;
    const unet = { ...fp32.files.unet, externalData: [{ path: 'unet/model.onnx_data', approxBytes: 4e9 }] };
    const variant = { ...fp32, files: { ...fp32.files, unet }, requirements: { ...fp32.requirements, backends: ['wasm' as const] } };
    expect(pickVariant({ ...lcm, variants: [variant] }, undefined)).toEqual({
      reason: 'its UNet alone needs 4.00 GB for its weights, more than the 3.76 GB the CPU (wasm) backend can hold; it needs WebGPU',
    });
  });
});
