import { InvalidSettingError } from './errors.ts';

/** Sampler names as AUTOMATIC1111 writes them into PNG `parameters`. */
export const SCHEDULERS = {
  euler: 'Euler',
  'euler-a': 'Euler a',
  ddim: 'DDIM',
  lcm: 'LCM',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
} as const;

export type SchedulerChoice = keyof typeof SCHEDULERS;

export const isSchedulerChoice = (value: unknown): value is SchedulerChoice => typeof value === 'string' && Object.hasOwn(SCHEDULERS, value);

/** Every sampler with the name A1111 gives it, in the form's order. */
export const SCHEDULER_CHOICES: readonly { id: SchedulerChoice; label: string }[] = Object.keys(SCHEDULERS)
  .filter(isSchedulerChoice)
  .map((id) => ({ id, label: SCHEDULERS[id] }));

/** Sizes a model supports, in pixels. */
export interface SizeRange {
  min: number;
  max: number;
  multiple: number;
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

/** What the form holds; a `Job` carries a validated copy. */
export interface GenerationSettings {
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  width: number;
  height: number;
  guidance: number;
  scheduler: SchedulerChoice;
  batchCount: number;
}

/** The form's values before a model's own defaults are applied. */
export const DEFAULT_SETTINGS: GenerationSettings = {
  prompt: '',
  negativePrompt: '',
  seed: 42,
  steps: 4,
  width: 256,
  height: 256,
  guidance: 3,
  scheduler: 'euler',
  batchCount: 1,
};

/** One model loaded at a time: the most a GPU of unknown size can be trusted with. */
export const DEFAULT_MEMORY: MemoryOptions = { lowMemory: false, residentModels: 1 };

/**
 * How often a job shows a preview: `auto` as often as keeps its cost at most a
 * tenth of a step's time (see workers/pipeline/preview-cadence.ts), a number N
 * for every N steps, `off` for none. Unless off, the last step of each image
 * has one too: it stays on screen while the VAE decodes.
 */
export type PreviewEvery = 'auto' | 'off' | number;

export const DEFAULT_PREVIEW_EVERY: PreviewEvery = 'auto';

export const LIMITS = {
  residentModels: { min: 1, max: 4 },
  steps: { min: 1, max: 100 },
  guidance: { min: 0, max: 30 },
  batchCount: { min: 1, max: 16 },
  seed: { min: 0, max: 2 ** 32 - 1 },
} as const;

function checkRange(field: string, label: string, value: number, min: number, max: number, integer: boolean): void {
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new InvalidSettingError(field, `${label} must be ${kind} from ${min} to ${max}.`);
  }
}

/** Throws `InvalidSettingError` for the first field out of range. */
export function validateSettings(settings: GenerationSettings, sizes: SizeRange): void {
  checkRange('steps', 'Steps', settings.steps, LIMITS.steps.min, LIMITS.steps.max, true);
  checkRange('guidance', 'Guidance', settings.guidance, LIMITS.guidance.min, LIMITS.guidance.max, false);
  checkRange('seed', 'Seed', settings.seed, LIMITS.seed.min, LIMITS.seed.max, true);
  checkRange('batchCount', 'Batch count', settings.batchCount, LIMITS.batchCount.min, LIMITS.batchCount.max, true);
  for (const field of ['width', 'height'] as const) {
    const label = field === 'width' ? 'Width' : 'Height';
    checkRange(field, label, settings[field], sizes.min, sizes.max, true);
    if (settings[field] % sizes.multiple !== 0) {
      throw new InvalidSettingError(field, `${label} must be a multiple of ${sizes.multiple}.`);
    }
  }
  if (!(settings.scheduler in SCHEDULERS)) {
    throw new InvalidSettingError('scheduler', `Unknown sampler "${settings.scheduler}".`);
  }
}

/** Whether a saved or posted value is a `PreviewEvery`. */
export function isPreviewEvery(value: unknown): value is PreviewEvery {
  return value === 'auto' || value === 'off' || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= LIMITS.steps.max);
}

/** A fresh random seed in the valid range. */
export function randomSeed(): number {
  return Math.floor(Math.random() * (LIMITS.seed.max + 1));
}
