/**
 * The one typed corridor between the main thread and the diffusion worker.
 * `src/` imports only these types from the worker side; the worker exposes an
 * object implementing `Engine` through comlink.
 */
import type { Progress } from './progress.ts';
import type { GenerationSettings } from './settings.ts';

/** Which ORT execution provider runs the model. */
export type Backend = 'webgpu' | 'wasm';

/** What the user asked for: a backend, or whatever the device can do best. */
export type BackendChoice = 'auto' | Backend;

/** The GPU adapter as the browser describes it. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
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
  crossOriginIsolated: boolean;
  threads: number;
}

/** One file of a model, as its manifest lists it. */
export interface ModelFile {
  path: string;
  size: number;
  sha256: string;
  /**
   * True for an external-data file (`weights.pb`, `model.onnx_data`) of the
   * `.onnx` graph in the same folder; ORT gets it under its path relative to
   * that folder, the name the graph records.
   */
  externalData?: true;
}

/** Sizes a model supports, in pixels. */
export interface SizeRange {
  min: number;
  max: number;
  multiple: number;
}

/** A model's manifest (`hearth-model.json`), checked by `parseManifest`. */
export interface ModelManifest {
  id: string;
  name: string;
  description: string;
  precision: 'fp32' | 'fp16';
  files: ModelFile[];
  vaeScalingFactor: number;
  defaults: Pick<GenerationSettings, 'width' | 'height' | 'steps' | 'guidance' | 'scheduler'>;
  sizes: SizeRange;
}

/**
 * Where the diffusion worker finds a model's files: a folder URL holding
 * `hearth-model.json` (the built-in model, served by the app), or the model
 * store in IndexedDB, which the worker reads itself (same origin).
 */
export type ModelSource =
  | { kind: 'url'; baseUrl: string; manifest: ModelManifest }
  | { kind: 'store'; modelId: string; manifest: ModelManifest };

/** A queued or running generation. Saved before anything runs. */
export interface Job {
  id: string;
  modelId: string;
  settings: GenerationSettings;
  createdAt: number;
}

/** Everything needed to resume a job exactly after `step` steps completed. */
export interface Checkpoint {
  jobId: string;
  imageIndex: number;
  step: number;
  latents: Float32Array;
  scheduler: unknown;
  generator: unknown;
}

/** A finished image as RGBA pixels plus its PNG. */
export interface GeneratedImage {
  jobId: string;
  imageIndex: number;
  seed: number;
  width: number;
  height: number;
  png: Blob;
}

/** Time spent inside `session.run` versus the whole call, for the bench. */
export interface RunTimings {
  totalMs: number;
  sessionRunMs: number;
  unetRuns: number;
}

export interface GenerateResult {
  timings: RunTimings;
}

/** How the engine holds models in GPU memory; chosen in the settings. */
export interface MemoryOptions {
  /**
   * Text encoder, UNet and VAE decoder one at a time, each released before the
   * next is created, for GPUs that cannot hold all three.
   */
  lowMemory: boolean;
  /** How many models stay loaded, least recently used evicted first. */
  residentModels: number;
}

/** A model whose sessions the engine holds, for diagnostics. */
export interface ResidentModel {
  modelId: string;
  lowMemory: boolean;
  /** Components whose sessions are alive now: all three, or at most one in low-memory mode. */
  components: string[];
}

/** What the engine holds right now. */
export interface EngineMemory {
  /** Most recently used first. */
  resident: ResidentModel[];
  /** Buffers the app's own GPU device holds (created, not yet destroyed or collected); absent on wasm. */
  gpuBuffers?: { count: number; bytes: number };
}

/** The diffusion worker's API. Every call is serialised inside the worker. */
export interface Engine {
  /** Picks the backend, owns the GPU device; call once per worker. */
  init(choice: BackendChoice, onDeviceLost: (reason: string) => void): Promise<EngineInfo>;
  /**
   * Makes a model ready to generate: a resident one is only marked used;
   * otherwise the least recently used models beyond `residentModels - 1` are
   * released first, then its sessions are created.
   */
  loadModel(source: ModelSource, options: MemoryOptions, onProgress: (progress: Progress) => void): Promise<void>;
  /** Runs a job, resuming after `resume.step` when given. */
  generate(job: Job, onProgress: (progress: Progress) => void, resume?: Checkpoint): Promise<GenerateResult>;
  /** Stops the running job after the step in flight. */
  cancel(jobId: string): void;
  /** What is resident and the GPU buffers held. */
  memory(): EngineMemory;
  /** Releases every session. */
  dispose(): Promise<void>;
}
