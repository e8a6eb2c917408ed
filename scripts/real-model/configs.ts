/**
 * The small files of each architecture's folder: scheduler_config.json as the
 * model repos ship it, the tokenizer settings that pick the pad token, and the
 * manifest's defaults.
 */
import type { ModelFile, ModelManifest } from '../../src/shared/model.ts';
import { jsonFile, MODEL_INDEX, SCHEDULER_CONFIG, VAE_SCALING_FACTOR } from '../tiny-model/configs.ts';
import { END_TOKEN, START_TOKEN } from '../tiny-model/tokenizer.ts';
import type { Architecture, ArchitectureId } from './architectures.ts';
import type { Precision } from './graph.ts';

const SD_BETAS = { beta_end: 0.012, beta_schedule: 'scaled_linear', beta_start: 0.00085, num_train_timesteps: 1000, trained_betas: null };

/** SD-Turbo ships Euler with trailing spacing; SD 1.5 PNDM; LCM its own scheduler. */
export const SCHEDULER_CONFIGS: Record<ArchitectureId, Record<string, unknown>> = {
  'sd-turbo': SCHEDULER_CONFIG,
  sd15: {
    _class_name: 'PNDMScheduler',
    _diffusers_version: SCHEDULER_CONFIG._diffusers_version,
    ...SD_BETAS,
    clip_sample: false,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
  },
  lcm: {
    _class_name: 'LCMScheduler',
    _diffusers_version: SCHEDULER_CONFIG._diffusers_version,
    ...SD_BETAS,
    clip_sample: false,
    original_inference_steps: 50,
    prediction_type: 'epsilon',
    set_alpha_to_one: true,
    steps_offset: 1,
    timestep_scaling: 10,
    timestep_spacing: 'leading',
  },
};

const DEFAULTS: Record<ArchitectureId, ModelManifest['defaults']> = {
  'sd-turbo': { width: 512, height: 512, steps: 1, guidance: 0, scheduler: 'euler' },
  sd15: { width: 512, height: 512, steps: 25, guidance: 7.5, scheduler: 'dpmpp-2m-karras' },
  lcm: { width: 512, height: 512, steps: 4, guidance: 8, scheduler: 'lcm' },
};

/** tokenizer_config.json and special_tokens_map.json, which tell the engine the pad token. */
export function tokenizerSettings(arch: Architecture): Record<string, string> {
  const specials = { bos_token: START_TOKEN, eos_token: END_TOKEN, pad_token: arch.padToken, unk_token: END_TOKEN };
  const config = { ...specials, add_prefix_space: false, do_lower_case: true, errors: 'replace', model_max_length: 77, tokenizer_class: 'CLIPTokenizer' };
  return {
    'tokenizer/tokenizer_config.json': jsonFile(config),
    'tokenizer/special_tokens_map.json': jsonFile(specials),
  };
}

export const modelIndex = (arch: ArchitectureId): Record<string, unknown> => ({
  ...MODEL_INDEX,
  scheduler: ['diffusers', String(SCHEDULER_CONFIGS[arch]._class_name)],
});

/** The manifest of a generated model: random weights, so it says so. */
export function realManifest(arch: Architecture, precision: Precision, id: string, files: ModelFile[]): ModelManifest {
  const width = arch.widthScale === 1 ? '' : `, width / ${arch.widthScale}`;
  return {
    id,
    name: `${arch.name} shape (${precision}${width})`,
    description: `Test model with ${arch.name}'s architecture and random weights: makes noise, not pictures`,
    precision,
    files,
    vaeScalingFactor: VAE_SCALING_FACTOR,
    defaults: DEFAULTS[arch.id],
    sizes: { min: 64, max: 1024, multiple: 64 },
  };
}
