/** Which ORT execution provider runs the model, and on what hardware. */

/** Which ORT execution provider runs the model. */
export type Backend = 'webgpu' | 'wasm';

/** What the user asked for: a backend, or whatever the device can do best. */
export type BackendChoice = 'auto' | Backend;

/** Which of ORT's WebGPU builds the engine runs: JSPI where the browser has it, asyncify elsewhere. */
export type OrtBuild = 'jspi' | 'asyncify';

/** The GPU adapter as the browser describes it. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  /** A software adapter (SwiftShader): WebGPU computed on the CPU, far slower than a GPU. */
  isFallbackAdapter: boolean;
  features: string[];
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** What the engine runs on, decided once per worker. */
export interface EngineInfo {
  backend: Backend;
  adapter?: AdapterSummary;
  /** Why the engine runs on wasm when WebGPU was possible to ask for. */
  fallbackReason?: string;
  ortVersion: string;
  ortBuild: OrtBuild;
  crossOriginIsolated: boolean;
  threads: number;
}
