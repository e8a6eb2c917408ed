import { describe, expect, it } from 'vitest';
import { sessionOptions, storageBufferCacheMode } from './session-options.ts';

describe('storageBufferCacheMode', () => {
  it("is ORT's default 'bucket' unless the build names another", () => {
    expect(storageBufferCacheMode(undefined)).toBe('bucket');
    expect(storageBufferCacheMode('')).toBe('bucket');
    expect(storageBufferCacheMode('simple')).toBe('simple');
  });

  it('refuses a mode ORT does not know, naming those it does', () => {
    expect(() => storageBufferCacheMode('exact')).toThrow(/"exact".*disabled, lazyRelease, simple, bucket/);
  });
});

describe('sessionOptions', () => {
  it('runs wasm sessions on the wasm EP at the basic optimisation level', () => {
    expect(sessionOptions('wasm', undefined)).toMatchObject({ executionProviders: ['wasm'], graphOptimizationLevel: 'basic' });
  });

  it("gives WebGPU sessions the app's device and the build's buffer cache mode", () => {
    const device = {} as GPUDevice;
    const [provider] = sessionOptions('webgpu', device).executionProviders!;
    expect(provider).toEqual({ name: 'webgpu', device, storageBufferCacheMode: 'bucket' });
  });
});
