/**
 * The one place that imports onnxruntime-web. The native WebGPU bundle frees
 * GPU memory on release and throws instead of returning wrong data
 * (docs/ort-web.md, "Which bundle"); it also runs the wasm EP, so one bundle
 * serves both.
 */
import * as ort from 'onnxruntime-web/webgpu';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';

// Served by the app itself, never a CDN. Naming the .mjs too makes ORT's
// pthreads start from that file rather than from our bundled worker chunk
// (docs/ort-web.md, "Serving ORT's files").
ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href, mjs: new URL(mjsUrl, self.location.href).href };
// We already are in a worker; ORT's own proxy worker would only add a hop.
ort.env.wasm.proxy = false;
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
ort.env.logLevel = 'error';

export { ort };
