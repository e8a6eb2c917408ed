/** A generation: the job as queued and the images it makes (its resumable state is in checkpoint.ts). */
import type { ImageInput } from './image-input.ts';
import type { GenerationSettings } from './settings.ts';

/** A queued or running generation. Saved before anything runs. */
export interface Job {
  id: string;
  modelId: string;
  settings: GenerationSettings;
  /** The picture image to image and inpainting start from, saved with the job so a resumed run has it. */
  input?: ImageInput;
  createdAt: number;
}

/** A finished image: its PNG, and the gallery's thumbnail made from the same pixels. */
export interface GeneratedImage {
  jobId: string;
  imageIndex: number;
  seed: number;
  width: number;
  height: number;
  png: Blob;
  /** Absent when the browser could not make one; the page then makes it from the PNG. */
  thumb?: Blob;
}
