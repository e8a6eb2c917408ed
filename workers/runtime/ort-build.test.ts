import { describe, expect, it } from 'vitest';
import { isOrtBuildAsset, ortBuildFor, precachesOrtAsset } from './ort-build.ts';

describe('ortBuildFor', () => {
  it('takes JSPI where WebAssembly can suspend and promise, asyncify where either is missing', () => {
    const suspending = () => {};
    expect(ortBuildFor({ Suspending: suspending, promising: suspending })).toBe('jspi');
    expect(ortBuildFor({ promising: suspending })).toBe('asyncify');
    expect(ortBuildFor({ Suspending: suspending })).toBe('asyncify');
    expect(ortBuildFor({})).toBe('asyncify');
  });
});

describe('isOrtBuildAsset', () => {
  it("knows each build's wasm and glue, hashed by the bundler or not, and nothing else", () => {
    expect(isOrtBuildAsset('assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', 'asyncify')).toBe(true);
    expect(isOrtBuildAsset('/hearth/assets/ort-wasm-simd-threaded.asyncify-CGX8rfbW.mjs', 'asyncify')).toBe(true);
    expect(isOrtBuildAsset('https://example.org/ort-wasm-simd-threaded.jspi.wasm', 'jspi')).toBe(true);
    expect(isOrtBuildAsset('assets/ort-wasm-simd-threaded.jspi-AbC123.wasm', 'asyncify')).toBe(false);
    expect(isOrtBuildAsset('assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', 'jspi')).toBe(false);
    expect(isOrtBuildAsset('assets/diffusion.worker-DfOl2sNN.js', 'asyncify')).toBe(false);
    expect(isOrtBuildAsset('assets/ort-wasm-simd-threaded.jsep-x.wasm', 'jspi')).toBe(false);
  });
});

describe('precachesOrtAsset', () => {
  const asyncify = 'assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm';
  const jspi = 'assets/ort-wasm-simd-threaded.jspi-AbC123.wasm';
  const app = 'assets/diffusion.worker-DfOl2sNN.js';

  it("caches only JSPI's build in a browser with JSPI", () => {
    const withJspi = { Suspending: () => {}, promising: () => {} };
    expect([asyncify, jspi, app].map((url) => precachesOrtAsset(url, withJspi))).toEqual([false, true, true]);
  });

  it('caches both builds in a browser without JSPI, so one that gains it in an update still starts offline', () => {
    expect([asyncify, jspi, app].map((url) => precachesOrtAsset(url, {}))).toEqual([true, true, true]);
  });
});
