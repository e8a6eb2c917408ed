/**
 * Which of ORT's two WebGPU builds a context runs. Both hold the same C++
 * WebGPU EP; they differ in how the wasm waits on the GPU. JSPI (JavaScript
 * Promise Integration) is smaller and recovers from a lost device far faster
 * than asyncify (docs/ort-web.md, "Which bundle"), but only Chromium has it
 * yet. The diffusion worker and the service worker both ask here, so the
 * build the worker loads is one cached for offline use.
 */
import type { OrtBuild } from '../../src/shared/backend.ts';

export function ortBuildFor(wasm: object): OrtBuild {
  return 'Suspending' in wasm && 'promising' in wasm ? 'jspi' : 'asyncify';
}

/** Whether a built asset's URL is one of `build`'s own files (its `.wasm` or `.mjs`, hashed or not). */
export function isOrtBuildAsset(url: string, build: OrtBuild): boolean {
  return new RegExp(`/ort-wasm-simd-threaded\\.${build}[-.][^/]*$`).test(url);
}

/**
 * Whether the service worker caches a built asset of `wasm`'s browser for
 * offline use. A browser with JSPI leaves out asyncify's files (27 MB no
 * worker of it loads). One without JSPI caches JSPI's 17 MB too: if an update
 * gives it JSPI, its worker loads that build at once, before the app's next
 * version installs and caches it, and offline it must find it cached.
 */
export function precachesOrtAsset(url: string, wasm: object): boolean {
  return !(ortBuildFor(wasm) === 'jspi' && isOrtBuildAsset(url, 'asyncify'));
}
