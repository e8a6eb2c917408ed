import type { ModelFile, ModelManifest } from '../../src/shared/model.ts';

const DIFFUSERS_VERSION = '0.30.0';

/** Stable Diffusion's latent scale, which the pipeline divides by before decoding. */
export const VAE_SCALING_FACTOR = 0.18215;

/** EulerDiscreteScheduler with SD's betas; trailing spacing so even 4 steps start from pure noise (t = 999). */
export const SCHEDULER_CONFIG = {
  _class_name: 'EulerDiscreteScheduler',
  _diffusers_version: DIFFUSERS_VERSION,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  steps_offset: 1,
  timestep_spacing: 'trailing',
  trained_betas: null,
  use_karras_sigmas: false,
};

/** model_index.json as diffusers writes it for an ONNX pipeline without safety checker or VAE encoder (`vae_encoder` is set where there is one). */
export const MODEL_INDEX = {
  _class_name: 'OnnxStableDiffusionPipeline',
  _diffusers_version: DIFFUSERS_VERSION,
  feature_extractor: [null, null],
  requires_safety_checker: false,
  safety_checker: [null, null],
  scheduler: ['diffusers', 'EulerDiscreteScheduler'],
  text_encoder: ['diffusers', 'OnnxRuntimeModel'],
  tokenizer: ['transformers', 'CLIPTokenizer'],
  unet: ['diffusers', 'OnnxRuntimeModel'],
  vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
  vae_encoder: [null, null],
};

/** Hearth's manifest for the tiny model, listing every other file with its size and hash. */
export function manifest(id: string, name: string, files: ModelFile[]): ModelManifest {
  return {
    id,
    name,
    description: 'Built-in test model: makes abstract images, not pictures',
    precision: 'fp32',
    files,
    vaeScalingFactor: VAE_SCALING_FACTOR,
    defaults: { width: 256, height: 256, steps: 4, guidance: 3, scheduler: 'euler' },
    sizes: { min: 64, max: 512, multiple: 64 },
  };
}

/** Pretty JSON with a trailing newline, the way the files are stored. */
export const jsonFile = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
