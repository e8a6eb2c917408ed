/**
 * The one typed corridor between the main thread and the diffusion worker.
 * `src/` imports only these types from the worker side; the worker exposes an
 * object implementing `Engine` through comlink.
 */
import type { BackendChoice, EngineInfo } from './backend.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { Job } from './job.ts';
import type { ModelSource } from './model.ts';
import type { EncoderOutput, NetworkName } from './networks.ts';
import type { Progress } from './progress.ts';
import type { MemoryOptions, PreviewEvery } from './settings.ts';

/** Time spent inside `session.run` versus the whole call, for the bench. */
export interface RunTimings {
  totalMs: number;
  sessionRunMs: number;
  unetRuns: number;
  /** Previews made in the job and the time they took (the preview decoder's run and the RGBA conversion). */
  previews: number;
  previewMs: number;
}

export interface GenerateResult {
  timings: RunTimings;
}

/** A model whose sessions the engine holds, for diagnostics. */
export interface ResidentModel {
  modelId: string;
  lowMemory: boolean;
  /** Components whose sessions are alive now: all, or at most one in low-memory mode. */
  components: NetworkName[];
}

/** What the engine holds right now. */
export interface EngineMemory {
  /** Most recently used first. */
  resident: ResidentModel[];
  /** Buffers the app's own GPU device holds (created, not yet destroyed or collected); absent on wasm. */
  gpuBuffers?: { count: number; bytes: number; peakBytes: number };
}

/** What loading found out about a model that the form needs. */
export interface LoadedModelFacts {
  /**
   * Text tokens the UNet export fixes `encoder_hidden_states` to (77: one
   * chunk, so longer prompts are cut); absent where it takes any length.
   */
  fixedTextLength?: number;
  /** How the model starts from an image; absent for a model without a VAE encoder (text to image only). */
  imageInput?: ImageInputFacts;
}

/** What the form must say about a model's image input. */
export interface ImageInputFacts {
  /** `sample`: the encoder draws its own noise, so a seed does not fix an image-to-image result. */
  encoder: EncoderOutput;
  /** A 9-channel UNet made for inpainting; otherwise inpainting blends the original into the latents after each step. */
  inpaintingUnet: boolean;
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
  loadModel(source: ModelSource, options: MemoryOptions, onProgress: (progress: Progress) => void): Promise<LoadedModelFacts>;
  /** Runs a job, resuming after `resume.step` when given. */
  generate(job: Job, onProgress: (progress: Progress) => void, resume?: Checkpoint, previewEvery?: PreviewEvery): Promise<GenerateResult>;
  /** Stops the running job after the step in flight. */
  cancel(jobId: string): void;
  /** What is resident and the GPU buffers held. */
  memory(): EngineMemory;
}
