import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../shared/model.ts';
import { processorOf, stepAllowanceMs, stepWork } from './step-allowance.ts';

const turbo = (precision: 'fp16' | 'fp32'): Pick<ModelManifest, 'files' | 'precision'> => ({
  precision,
  files: [
    { path: 'text_encoder/model.onnx', size: 1.36e9, sha256: '' },
    { path: 'unet/model.onnx', size: 1e6, sha256: '' },
    { path: 'unet/model.onnx_data', size: precision === 'fp16' ? 1.73e9 - 1e6 : 3.46e9 - 1e6, sha256: '' },
  ],
});
const job = (width: number, height: number, guidance = 0) => ({ settings: { width, height, guidance } }) as Parameters<typeof stepWork>[0];
const FLOOR = 120_000;
const minutes = (ms: number) => ms / 60_000;

describe('step allowance', () => {
  it('counts the UNet parameters whatever their precision, the latent pixels and the guidance batch', () => {
    expect(stepWork(job(512, 512), turbo('fp16'))).toBeCloseTo(stepWork(job(512, 512), turbo('fp32')));
    expect(stepWork(job(512, 512), turbo('fp32'))).toBeCloseTo(865e6 * 64 * 64);
    expect(stepWork(job(512, 512, 7), turbo('fp32'))).toBeCloseTo(2 * stepWork(job(512, 512), turbo('fp32')));
  });

  it('keeps the fixed allowance on a GPU up to SD 1.5 at 512x512 and grows it beyond', () => {
    expect(stepAllowanceMs(stepWork(job(512, 512, 7), turbo('fp16')), 'gpu', FLOOR) / FLOOR).toBeCloseTo(1, 1);
    expect(stepAllowanceMs(stepWork(job(1024, 1024, 7), turbo('fp16')), 'gpu', FLOOR)).toBeCloseTo(4 * FLOOR, -4);
  });

  it('gives a real-size step on the CPU far more than the GPU allowance, and a tiny one the floor', () => {
    // 17.3 s was measured at 64x64 on wasm: 512x512 is 64 times the work, so hours, not two minutes.
    expect(minutes(stepAllowanceMs(stepWork(job(512, 512), turbo('fp32')), 'wasm', FLOOR))).toBeGreaterThan(100);
    expect(stepAllowanceMs(stepWork(job(64, 64), turbo('fp32')), 'wasm', FLOOR)).toBeGreaterThan(FLOOR);
    expect(stepAllowanceMs(stepWork(job(64, 64), turbo('fp32')), 'software-gpu', FLOOR)).toBeGreaterThan(stepAllowanceMs(stepWork(job(64, 64), turbo('fp32')), 'wasm', FLOOR));
    const tiny = { precision: 'fp32' as const, files: [{ path: 'unet/model.onnx', size: 200_000, sha256: '' }] };
    expect(stepAllowanceMs(stepWork(job(64, 64), tiny), 'wasm', FLOOR)).toBe(FLOOR);
  });

  it('tells a software WebGPU adapter from a GPU', () => {
    const adapter = { vendor: 'google', architecture: 'swiftshader', description: '', features: [], maxBufferSize: 1, maxStorageBufferBindingSize: 1 };
    expect(processorOf({ backend: 'webgpu', adapter: { ...adapter, isFallbackAdapter: true } })).toBe('software-gpu');
    expect(processorOf({ backend: 'webgpu', adapter: { ...adapter, isFallbackAdapter: false } })).toBe('gpu');
    expect(processorOf({ backend: 'wasm' })).toBe('wasm');
  });
});
