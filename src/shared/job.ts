/** A generation: the job as queued and the images it makes (its resumable state is in checkpoint.ts). */
import type { GenerationSettings } from './settings.ts';

/** A queued or running generation. Saved before anything runs. */
export interface Job {
  id: string;
  modelId: string;
  settings: GenerationSettings;
  createdAt: number;
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
