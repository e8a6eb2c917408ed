import { describe, expect, it } from 'vitest';
import { manifestMisfit, wasmFit, WASM_WEIGHT_LIMIT } from './device-fit.ts';

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
      reason: 'its three networks need 5.02 GB for their weights, more than the 3.76 GB the CPU (wasm) backend can hold, so it runs one network at a time',
    });
  });

  it('refuses wasm with the numbers when one network alone is over the heap', () => {
    const big = [{ path: 'unet/model.onnx_data', bytes: WASM_WEIGHT_LIMIT + 1 }];
    expect(manifestMisfit(asManifest(big), 'wasm', [])).toBe(
      'its UNet alone needs 3.76 GB for its weights, more than the 3.76 GB the CPU (wasm) backend can hold; it needs WebGPU',
    );
    expect(manifestMisfit(asManifest(big), 'webgpu', []), 'WebGPU keeps weights in GPU buffers, not the wasm heap').toBeUndefined();
  });

  it('refuses fp16 on a GPU without shader-f16 and runs it on one that has it', () => {
    expect(manifestMisfit(asManifest(SD_TURBO_FP32, 'fp16'), 'webgpu', [])).toBe('its fp16 weights need the WebGPU feature "shader-f16", which this GPU lacks');
    expect(manifestMisfit(asManifest(SD_TURBO_FP32, 'fp16'), 'webgpu', ['shader-f16'])).toBeUndefined();
    expect(manifestMisfit(asManifest(SD_TURBO_FP32, 'fp16'), 'wasm', [])).toBe(
      'its UNet alone needs 6.93 GB for its weights as fp32, more than the 3.76 GB the CPU (wasm) backend can hold; it needs WebGPU',
    );
  });

  it('counts fp16 weights twice on wasm, which holds them as fp32', () => {
    const fp16 = SD_TURBO_FP32.map((file) => ({ ...file, bytes: Math.round(file.bytes / 2) }));
    expect(wasmFit(fp16, 'fp16')).toEqual({
      kind: 'one-at-a-time',
      reason: 'its three networks need 5.02 GB for their weights as fp32, more than the 3.76 GB the CPU (wasm) backend can hold, so it runs one network at a time',
    });
  });
});
