/**
 * The one place that imports onnxruntime-web. The native WebGPU EP frees GPU
 * memory on release and throws instead of returning wrong data, and it also
 * runs the wasm EP, so one build serves both backends (docs/ort-web.md,
 * "Which bundle"). It comes as two builds: JSPI where the browser has it,
 * asyncify elsewhere (`ort-build.ts`). Both are imported statically: a
 * top-level `await` in this module once left model loading hanging
 * (docs/ort-web.md, "Where a recovery's seconds go").
 */
import * as asyncifyOrt from 'onnxruntime-web/webgpu';
import asyncifyWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import asyncifyMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import * as jspiOrt from 'onnxruntime-web/jspi';
import jspiWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url';
import jspiMjs from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.mjs?url';
import { ortBuildFor } from './ort-build.ts';

export const ortBuild = ortBuildFor(WebAssembly);
const chosen = ortBuild === 'jspi' ? { ort: jspiOrt, wasm: jspiWasm, mjs: jspiMjs } : { ort: asyncifyOrt, wasm: asyncifyWasm, mjs: asyncifyMjs };
export const ort: typeof asyncifyOrt = chosen.ort;

// Served by the app itself, never a CDN. Naming the .mjs too makes ORT's
// pthreads start from that file rather than from our bundled worker chunk
// (docs/ort-web.md, "Serving ORT's files").
ort.env.wasm.wasmPaths = { wasm: new URL(chosen.wasm, self.location.href).href, mjs: new URL(chosen.mjs, self.location.href).href };
// We already are in a worker; ORT's own proxy worker would only add a hop.
ort.env.wasm.proxy = false;
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
ort.env.logLevel = 'error';
