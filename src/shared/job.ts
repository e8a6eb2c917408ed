/** A generation: the job as queued, its resumable state, and the images it makes. */
import type { GenerationSettings } from './settings.ts';

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
