/**
 * Which of ORT's two WebGPU builds a context runs. Both hold the same C++
 * WebGPU EP; they differ in how the wasm waits on the GPU. JSPI (JavaScript
 * Promise Integration) is smaller and recovers from a lost device far faster
 * than asyncify (docs/ort-web.md, "Which bundle"), but only Chromium has it
 * yet. The diffusion worker and the service worker both ask here, so the
 * build the worker loads is the one cached for offline use.
 */
import type { OrtBuild } from '../../src/shared/backend.ts';

export function ortBuildFor(wasm: object): OrtBuild {
  return 'Suspending' in wasm && 'promising' in wasm ? 'jspi' : 'asyncify';
}

/** Whether a built asset's URL is one of `build`'s own files (its `.wasm` or `.mjs`, hashed or not). */
export function isOrtBuildAsset(url: string, build: OrtBuild): boolean {
  return new RegExp(`/ort-wasm-simd-threaded\\.${build}[-.][^/]*$`).test(url);
}
