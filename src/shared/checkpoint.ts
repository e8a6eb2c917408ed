/**
 * A job's checkpoint: everything the worker needs to continue it bit-exactly
 * after a completed step. It is saved in IndexedDB and may outlive the build
 * that wrote it, so it is checked against the job and the running build before
 * either thread uses it; one that does not fit restarts the job from step 0.
 */
import { denoisingSteps } from './image-input.ts';

/** What of a job decides whether a checkpoint fits it. */
export interface CheckpointOwner {
  id: string;
  settings: { steps: number; batchCount: number; width: number; height: number };
  /** A job that starts from a picture runs only the schedule's last `int(steps * strength)` steps. */
  input?: { strength: number };
}

/** The diffusers scheduler classes the worker implements. */
export const SCHEDULER_CLASSES = [
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'DDIMScheduler',
  'LCMScheduler',
  'DPMSolverMultistepScheduler',
] as const;
/** One of SCHEDULER_CLASSES. */
export type SchedulerClassName = (typeof SCHEDULER_CLASSES)[number];

/** Everything a scheduler needs to continue a run after `setTimesteps(numInferenceSteps)`. Structured-cloneable. */
export interface SchedulerState {
  className: SchedulerClassName;
  numInferenceSteps: number | null;
  stepIndex: number | null;
  beginIndex: number | null;
  /** DPM-Solver's `model_outputs` history, oldest first. */
  modelOutputs?: (Float32Array | null)[];
  /** DPM-Solver's `lower_order_nums`. */
  lowerOrderNums?: number;
}

/** The 624 words of mt19937. */
export const MT_WORDS = 624;

/** Snapshot of the worker's TorchGenerator; structured-cloneable. */
export interface GeneratorState {
  /** The mt19937 state words. */
  mt: Uint32Array;
  /** Next word to temper; MT_WORDS means the words must be regenerated first. */
  index: number;
  /** Second Box-Muller sample cached by the scalar path, or null. */
  nextNormal: number | null;
}

/** Latent channels of every Stable Diffusion UNet Hearth runs, and the VAE's downscale. */
export const LATENT_CHANNELS = 4;
export const VAE_FACTOR = 8;

/** Everything needed to resume a job exactly after `step` steps of image `imageIndex` completed. */
export interface Checkpoint {
  /** The build that wrote it (`import.meta.env.HEARTH_BUILD_ID`): another build may step differently, so it restarts. */
  build: string;
  jobId: string;
  imageIndex: number;
  step: number;
  latents: Float32Array;
  scheduler: SchedulerState;
  generator: GeneratorState;
}

export type CheckpointCheck = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

/** The build this code belongs to, which every checkpoint it writes carries. */
export const CURRENT_BUILD: string = import.meta.env.HEARTH_BUILD_ID;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIndex = (value: unknown, min: number, max: number): value is number => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const isIndexOrNull = (value: unknown, min: number, max: number) => value === null || isIndex(value, min, max);

function schedulerProblem(state: unknown, steps: number, latents: number): string | undefined {
  if (!isObject(state)) return 'its scheduler state is missing';
  if (!SCHEDULER_CLASSES.includes(state.className as SchedulerClassName)) return `its scheduler "${String(state.className)}" is unknown`;
  if (state.numInferenceSteps !== steps) return `its scheduler was set up for ${String(state.numInferenceSteps)} steps, not ${steps}`;
  // The DPM-Solver and LCM schedules can hold a step or two more than the UNet runs, never many.
  if (!isIndexOrNull(state.stepIndex, 0, steps + 1) || !isIndexOrNull(state.beginIndex, 0, steps + 1)) return 'its scheduler step is out of range';
  if (state.className === 'DPMSolverMultistepScheduler') {
    const outputs = state.modelOutputs;
    if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((each) => each === null || (each instanceof Float32Array && each.length === latents))) {
      return 'its scheduler lacks the model output history';
    }
    if (!isIndex(state.lowerOrderNums, 0, outputs.length)) return 'its scheduler order count is out of range';
  }
  return undefined;
}

function generatorProblem(state: unknown): string | undefined {
  if (!isObject(state) || !(state.mt instanceof Uint32Array) || state.mt.length !== MT_WORDS) return 'its random generator state is missing';
  if (!isIndex(state.index, 0, MT_WORDS)) return 'its random generator position is out of range';
  if (state.nextNormal !== null && !(typeof state.nextNormal === 'number' && Number.isFinite(state.nextNormal))) return 'its random generator cache is not a number';
  return undefined;
}

/**
 * Whether `raw` can resume `job` in this build: written by this build for this
 * job, step and image within the job, latents of the job's size, and scheduler
 * and generator states of the right shape. Says why not, in words for a notice.
 */
export function checkCheckpoint(raw: unknown, job: CheckpointOwner, build = CURRENT_BUILD): CheckpointCheck {
  const { steps, batchCount, width, height } = job.settings;
  if (!isObject(raw)) return { ok: false, reason: 'it is not a checkpoint' };
  if (raw.build !== build) return { ok: false, reason: `it was written by another version of Hearth (${String(raw.build ?? 'unknown')})` };
  if (raw.jobId !== job.id) return { ok: false, reason: 'it belongs to another job' };
  const first = job.input ? denoisingSteps(steps, job.input.strength).start + 1 : 1;
  if (!isIndex(raw.step, first, steps)) return { ok: false, reason: `its step ${String(raw.step)} is not between ${first} and ${steps}` };
  if (!isIndex(raw.imageIndex, 0, batchCount - 1)) return { ok: false, reason: `its image ${String(raw.imageIndex)} is not in the batch of ${batchCount}` };
  const latents = LATENT_CHANNELS * (width / VAE_FACTOR) * (height / VAE_FACTOR);
  if (!(raw.latents instanceof Float32Array) || raw.latents.length !== latents) return { ok: false, reason: `its latents do not fit a ${width}×${height} image` };
  const problem = schedulerProblem(raw.scheduler, steps, latents) ?? generatorProblem(raw.generator);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, checkpoint: raw as unknown as Checkpoint };
}
