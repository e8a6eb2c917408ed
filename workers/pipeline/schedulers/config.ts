// Reads a diffusers scheduler_config.json the way ConfigMixin.from_config does:
// a key the class takes comes from the config, a missing (or null) one from the
// class's __init__ default, and every other key is ignored. Values the ported
// math cannot honour are a ConfigError naming the key and what it accepts.

import { SCHEDULER_CLASSES, type SchedulerClassName } from '../../../src/shared/checkpoint.ts';
import { ConfigError } from '../../../src/shared/errors.ts';

/** The file ConfigErrors name. */
export const SOURCE = 'scheduler_config.json';

// The class list lives beside the checkpoint type, which names the class a saved state belongs to.
export { SCHEDULER_CLASSES, type SchedulerClassName };

/** A parsed scheduler_config.json: `_class_name` plus diffusers' keys, unknown ones kept but unused. */
export interface SchedulerConfig {
  readonly _class_name: string;
  readonly [key: string]: unknown;
}

/** `beta_schedule` values. */
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
/** `prediction_type` values (flow_prediction is not ported). */
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
/** `timestep_spacing` values (Table 2 of arXiv 2305.08891). */
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';
/** `final_sigmas_type` values. */
export type FinalSigmasType = 'zero' | 'sigma_min';

/** Keys every implemented class takes. */
export interface CommonOptions {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  rescale_betas_zero_snr: boolean;
}

/** Sigma-schedule choices of EulerDiscreteScheduler and DPMSolverMultistepScheduler. */
export interface SigmaOptions {
  use_karras_sigmas: boolean;
  use_exponential_sigmas: boolean;
  sigma_min: number | null;
  sigma_max: number | null;
  final_sigmas_type: FinalSigmasType;
}

/** EulerDiscreteScheduler's keys. */
export interface EulerOptions extends CommonOptions, SigmaOptions {
  interpolation_type: 'linear' | 'log_linear';
  timestep_type: 'discrete' | 'continuous';
}

/** DDIMScheduler's keys (eta is always 0, thresholding always off). */
export interface DdimOptions extends CommonOptions {
  clip_sample: boolean;
  clip_sample_range: number;
  set_alpha_to_one: boolean;
}

/** LCMScheduler's keys. */
export interface LcmOptions extends DdimOptions {
  original_inference_steps: number;
  timestep_scaling: number;
}

/** DPMSolverMultistepScheduler's algorithm_type values. */
export type DpmAlgorithm = 'dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver++' | 'sde-dpmsolver';

/** DPMSolverMultistepScheduler's keys. */
export interface DpmOptions extends CommonOptions, SigmaOptions {
  solver_order: number;
  algorithm_type: DpmAlgorithm;
  solver_type: 'midpoint' | 'heun';
  lower_order_final: boolean;
  euler_at_final: boolean;
  use_lu_lambdas: boolean;
  lambda_min_clipped: number;
}

const COMMON_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'linspace',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
};
const SIGMA_DEFAULTS = {
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  final_sigmas_type: 'zero',
};
const THRESHOLD_DEFAULTS = { thresholding: false, dynamic_thresholding_ratio: 0.995, sample_max_value: 1.0 };

/** `__init__` defaults of the implemented classes (diffusers' scheduler files). */
const CLASS_DEFAULTS: Record<SchedulerClassName, Readonly<Record<string, unknown>>> = {
  EulerDiscreteScheduler: { ...COMMON_DEFAULTS, ...SIGMA_DEFAULTS, interpolation_type: 'linear', timestep_type: 'discrete' },
  EulerAncestralDiscreteScheduler: COMMON_DEFAULTS,
  DDIMScheduler: {
    ...COMMON_DEFAULTS,
    ...THRESHOLD_DEFAULTS,
    clip_sample: true,
    clip_sample_range: 1.0,
    set_alpha_to_one: true,
    timestep_spacing: 'leading',
  },
  LCMScheduler: {
    ...COMMON_DEFAULTS,
    ...THRESHOLD_DEFAULTS,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    original_inference_steps: 50,
    clip_sample: false,
    clip_sample_range: 1.0,
    set_alpha_to_one: true,
    timestep_spacing: 'leading',
    timestep_scaling: 10.0,
  },
  DPMSolverMultistepScheduler: {
    ...COMMON_DEFAULTS,
    ...SIGMA_DEFAULTS,
    ...THRESHOLD_DEFAULTS,
    solver_order: 2,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    lower_order_final: true,
    euler_at_final: false,
    use_lu_lambdas: false,
    use_flow_sigmas: false,
    flow_shift: 1.0,
    lambda_min_clipped: -Infinity,
    variance_type: null,
    use_dynamic_shifting: false,
    time_shift_type: 'exponential',
  },
};

type Kind = 'int' | 'number' | 'boolean' | 'string' | 'numbers';

// The JSON type of each key any implemented class reads (parseSchedulerConfig checks these).
const KINDS: Record<string, Kind> = {
  num_train_timesteps: 'int',
  beta_start: 'number',
  beta_end: 'number',
  beta_schedule: 'string',
  trained_betas: 'numbers',
  prediction_type: 'string',
  timestep_spacing: 'string',
  steps_offset: 'int',
  rescale_betas_zero_snr: 'boolean',
  use_karras_sigmas: 'boolean',
  use_exponential_sigmas: 'boolean',
  use_beta_sigmas: 'boolean',
  sigma_min: 'number',
  sigma_max: 'number',
  final_sigmas_type: 'string',
  interpolation_type: 'string',
  timestep_type: 'string',
  clip_sample: 'boolean',
  clip_sample_range: 'number',
  set_alpha_to_one: 'boolean',
  thresholding: 'boolean',
  original_inference_steps: 'int',
  timestep_scaling: 'number',
  solver_order: 'int',
  algorithm_type: 'string',
  solver_type: 'string',
  lower_order_final: 'boolean',
  euler_at_final: 'boolean',
  use_lu_lambdas: 'boolean',
  use_flow_sigmas: 'boolean',
  use_dynamic_shifting: 'boolean',
  lambda_min_clipped: 'number',
};

const KIND_WORDS: Record<Kind, string> = {
  int: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  numbers: 'an array of numbers',
};

function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'int':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && !Number.isNaN(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'numbers':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
  }
}

/** Reads one class's keys from a config, with that class's defaults. */
class Reader {
  private readonly defaults: Readonly<Record<string, unknown>>;

  constructor(
    private readonly config: Readonly<Record<string, unknown>>,
    className: SchedulerClassName,
  ) {
    this.defaults = CLASS_DEFAULTS[className];
  }

  private value(key: string): unknown {
    const value = this.config[key];
    return value === undefined || value === null ? this.defaults[key] : value;
  }

  private typed(key: string): unknown {
    const value = this.value(key);
    if (value !== null && !hasKind(value, KINDS[key])) throw new ConfigError(SOURCE, key, KIND_WORDS[KINDS[key]]);
    return value;
  }

  int(key: string, min: number, max = Infinity): number {
    const value = this.typed(key) as number;
    if (value < min || value > max) {
      throw new ConfigError(SOURCE, key, max === Infinity ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`);
    }
    return value;
  }

  finite(key: string): number {
    const value = this.typed(key) as number;
    if (!Number.isFinite(value)) throw new ConfigError(SOURCE, key, 'a finite number');
    return value;
  }

  number(key: string): number {
    return this.typed(key) as number;
  }

  positiveOrNull(key: string): number | null {
    const value = this.typed(key) as number | null;
    if (value !== null && !(value > 0 && Number.isFinite(value))) throw new ConfigError(SOURCE, key, 'a positive number or null');
    return value;
  }

  bool(key: string): boolean {
    return this.typed(key) as boolean;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.typed(key) as T;
    if (!allowed.includes(value)) throw new ConfigError(SOURCE, key, allowed.join(', '));
    return value;
  }

  /** A switch diffusers has but this port does not implement: only its default is accepted. */
  unsupported(key: string, allowed: string, ok: (value: unknown) => boolean): void {
    const value = this.value(key);
    if (value !== undefined && !ok(value)) throw new ConfigError(SOURCE, key, allowed);
  }

  betas(count: number): number[] | null {
    const value = this.typed('trained_betas') as number[] | null;
    if (value !== null && value.length !== count) {
      throw new ConfigError(SOURCE, 'trained_betas', `null or ${count} numbers (num_train_timesteps)`);
    }
    return value;
  }
}

function readCommon(r: Reader, predictions: readonly PredictionType[]): CommonOptions {
  const num_train_timesteps = r.int('num_train_timesteps', 1);
  return {
    num_train_timesteps,
    beta_start: r.finite('beta_start'),
    beta_end: r.finite('beta_end'),
    beta_schedule: r.oneOf('beta_schedule', ['linear', 'scaled_linear', 'squaredcos_cap_v2']),
    trained_betas: r.betas(num_train_timesteps),
    prediction_type: r.oneOf('prediction_type', predictions),
    timestep_spacing: r.oneOf('timestep_spacing', ['linspace', 'leading', 'trailing']),
    steps_offset: r.int('steps_offset', 0),
    rescale_betas_zero_snr: r.bool('rescale_betas_zero_snr'),
  };
}

const ALL_PREDICTIONS: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];

function noThresholding(r: Reader): void {
  // _threshold_sample needs per-image quantiles, and is "unsuitable for latent-space diffusion models".
  r.unsupported('thresholding', 'false (dynamic thresholding is not supported)', (v) => v === false);
}

function readSigmaOptions(r: Reader): SigmaOptions {
  r.unsupported('use_beta_sigmas', 'false (beta sigmas are not supported)', (v) => v === false);
  const options: SigmaOptions = {
    use_karras_sigmas: r.bool('use_karras_sigmas'),
    use_exponential_sigmas: r.bool('use_exponential_sigmas'),
    sigma_min: r.positiveOrNull('sigma_min'),
    sigma_max: r.positiveOrNull('sigma_max'),
    final_sigmas_type: r.oneOf('final_sigmas_type', ['zero', 'sigma_min']),
  };
  // "Only one of `config.use_beta_sigmas`, `config.use_exponential_sigmas`, `config.use_karras_sigmas` can be used."
  if (options.use_karras_sigmas && options.use_exponential_sigmas) {
    throw new ConfigError(SOURCE, 'use_exponential_sigmas', 'false when use_karras_sigmas is true');
  }
  return options;
}

/** EulerDiscreteScheduler's options (scheduling_euler_discrete.py __init__). */
export function readEuler(config: SchedulerConfig): EulerOptions {
  const r = new Reader(config, 'EulerDiscreteScheduler');
  return {
    ...readCommon(r, ALL_PREDICTIONS),
    ...readSigmaOptions(r),
    interpolation_type: r.oneOf('interpolation_type', ['linear', 'log_linear']),
    timestep_type: r.oneOf('timestep_type', ['discrete', 'continuous']),
  };
}

/** EulerAncestralDiscreteScheduler's options; its step raises for prediction_type "sample". */
export function readEulerAncestral(config: SchedulerConfig): CommonOptions {
  return readCommon(new Reader(config, 'EulerAncestralDiscreteScheduler'), ['epsilon', 'v_prediction']);
}

function readDdimLike(r: Reader): DdimOptions {
  noThresholding(r);
  return {
    ...readCommon(r, ALL_PREDICTIONS),
    clip_sample: r.bool('clip_sample'),
    clip_sample_range: r.finite('clip_sample_range'),
    set_alpha_to_one: r.bool('set_alpha_to_one'),
  };
}

/** DDIMScheduler's options (scheduling_ddim.py __init__). */
export function readDdim(config: SchedulerConfig): DdimOptions {
  return readDdimLike(new Reader(config, 'DDIMScheduler'));
}

/** LCMScheduler's options (scheduling_lcm.py __init__). */
export function readLcm(config: SchedulerConfig): LcmOptions {
  const r = new Reader(config, 'LCMScheduler');
  const options = readDdimLike(r);
  return {
    ...options,
    original_inference_steps: r.int('original_inference_steps', 1, options.num_train_timesteps),
    timestep_scaling: r.finite('timestep_scaling'),
  };
}

// DPMSolverMultistepScheduler.__init__ re-registers DEIS's and UniPC's solver names.
const ALGORITHM_ALIASES: Record<string, DpmAlgorithm> = { deis: 'dpmsolver++' };
const SOLVER_ALIASES: Record<string, 'midpoint'> = { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' };

/** DPMSolverMultistepScheduler's options (scheduling_dpmsolver_multistep.py __init__). */
export function readDpm(config: SchedulerConfig): DpmOptions {
  const r = new Reader(config, 'DPMSolverMultistepScheduler');
  noThresholding(r);
  r.unsupported('use_flow_sigmas', 'false (flow sigmas are not supported)', (v) => v === false);
  r.unsupported('use_dynamic_shifting', 'false (dynamic shifting is not supported)', (v) => v === false);
  r.unsupported('variance_type', 'null (learned variance is not supported)', (v) => v === null);
  const algorithm = r.oneOf('algorithm_type', ['dpmsolver++', 'dpmsolver', 'sde-dpmsolver++', 'sde-dpmsolver', 'deis']);
  const solver = r.oneOf('solver_type', ['midpoint', 'heun', 'logrho', 'bh1', 'bh2']);
  const options: DpmOptions = {
    ...readCommon(r, ALL_PREDICTIONS),
    ...readSigmaOptions(r),
    solver_order: r.int('solver_order', 1, 3),
    algorithm_type: ALGORITHM_ALIASES[algorithm] ?? (algorithm as DpmAlgorithm),
    solver_type: SOLVER_ALIASES[solver] ?? (solver as 'midpoint' | 'heun'),
    lower_order_final: r.bool('lower_order_final'),
    euler_at_final: r.bool('euler_at_final'),
    use_lu_lambdas: r.bool('use_lu_lambdas'),
    lambda_min_clipped: r.number('lambda_min_clipped'),
  };
  const noisePrediction = options.algorithm_type === 'dpmsolver' || options.algorithm_type === 'sde-dpmsolver';
  if (noisePrediction && options.final_sigmas_type === 'zero') {
    throw new ConfigError(SOURCE, 'final_sigmas_type', `sigma_min (zero needs algorithm_type dpmsolver++ or sde-dpmsolver++)`);
  }
  if (options.algorithm_type === 'sde-dpmsolver' && options.solver_order === 3) {
    throw new ConfigError(SOURCE, 'solver_order', '1 or 2 with algorithm_type sde-dpmsolver');
  }
  if (options.use_lu_lambdas && (options.use_karras_sigmas || options.use_exponential_sigmas)) {
    throw new ConfigError(SOURCE, 'use_lu_lambdas', 'false when use_karras_sigmas or use_exponential_sigmas is true');
  }
  return options;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a model's scheduler_config.json (any diffusers class: it may only be
 * the base for `schedulerConfigFor`). Values are checked for their JSON type
 * here; whether the chosen class supports them is checked by `createScheduler`.
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (!isObject(json)) throw new ConfigError(SOURCE, '(file)', 'a JSON object');
  const className = json._class_name;
  if (typeof className !== 'string' || className === '') throw new ConfigError(SOURCE, '_class_name', 'a scheduler class name');
  for (const [key, kind] of Object.entries(KINDS)) {
    const value = json[key];
    if (value !== undefined && value !== null && !hasKind(value, kind)) throw new ConfigError(SOURCE, key, KIND_WORDS[kind]);
  }
  return { ...json, _class_name: className };
}

/** Narrows a config to one of the implemented classes, or throws the ConfigError listing them. */
export function schedulerClass(config: unknown): { config: SchedulerConfig; className: SchedulerClassName } {
  if (!isObject(config)) throw new ConfigError(SOURCE, '(file)', 'a JSON object');
  const className = config._class_name;
  if (!SCHEDULER_CLASSES.includes(className as SchedulerClassName)) {
    throw new ConfigError(SOURCE, '_class_name', SCHEDULER_CLASSES.join(', '));
  }
  return { config: config as SchedulerConfig, className: className as SchedulerClassName };
}
