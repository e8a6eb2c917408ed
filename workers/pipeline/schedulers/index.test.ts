import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.ts';
import { SCHEDULER_CHOICES, SCHEDULERS } from '../../../src/shared/settings.ts';
import { createScheduler, parseSchedulerConfig, schedulerConfigFor, type SchedulerConfig } from './index.ts';

// runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json
const SD15 = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('createScheduler', () => {
  it.each([
    'EulerDiscreteScheduler',
    'EulerAncestralDiscreteScheduler',
    'DDIMScheduler',
    'LCMScheduler',
    'DPMSolverMultistepScheduler',
  ])('builds %s from its class defaults alone', (className) => {
    const scheduler = createScheduler({ _class_name: className });
    expect(scheduler.className).toBe(className);
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toHaveLength(4);
  });

  it('ignores unknown keys', () => {
    const scheduler = createScheduler({ ...SD15, _class_name: 'DDIMScheduler', some_future_key: [1, 2] });
    scheduler.setTimesteps(5);
    expect(scheduler.timesteps).toEqual([801, 601, 401, 201, 1]);
  });

  it('accepts thresholding: false and rejects thresholding: true', () => {
    expect(() => createScheduler({ _class_name: 'DDIMScheduler', thresholding: false })).not.toThrow();
    const error = configError(() => createScheduler({ _class_name: 'DDIMScheduler', thresholding: true }));
    expect(error.field).toBe('thresholding');
    expect(error.allowed).toMatch(/not supported/);
  });

  it.each([
    [{ _class_name: 'PNDMScheduler' }, '_class_name', /EulerDiscreteScheduler, .*DPMSolverMultistepScheduler/],
    [{ _class_name: 'EulerDiscreteScheduler', num_train_timesteps: '1000' }, 'num_train_timesteps', /whole number/],
    [{ _class_name: 'EulerDiscreteScheduler', beta_schedule: 'cosine' }, 'beta_schedule', /linear, scaled_linear, squaredcos_cap_v2/],
    [{ _class_name: 'DDIMScheduler', timestep_spacing: 'uniform' }, 'timestep_spacing', /linspace, leading, trailing/],
    [{ _class_name: 'EulerAncestralDiscreteScheduler', prediction_type: 'sample' }, 'prediction_type', /epsilon, v_prediction$/],
    [{ _class_name: 'EulerDiscreteScheduler', use_beta_sigmas: true }, 'use_beta_sigmas', /not supported/],
    [{ _class_name: 'EulerDiscreteScheduler', use_karras_sigmas: true, use_exponential_sigmas: true }, 'use_exponential_sigmas', /false/],
    [{ _class_name: 'DDIMScheduler', clip_sample: 'yes' }, 'clip_sample', /true or false/],
    [{ _class_name: 'DDIMScheduler', trained_betas: [0.1, 0.2] }, 'trained_betas', /1000 numbers/],
    [{ _class_name: 'LCMScheduler', original_inference_steps: 2000 }, 'original_inference_steps', /1 to 1000/],
    [{ _class_name: 'DPMSolverMultistepScheduler', solver_order: 4 }, 'solver_order', /1 to 3/],
    [{ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver' }, 'final_sigmas_type', /sigma_min/],
    [{ _class_name: 'DPMSolverMultistepScheduler', solver_type: 'bh3' }, 'solver_type', /midpoint, heun/],
    [{ _class_name: 'DPMSolverMultistepScheduler', variance_type: 'learned_range' }, 'variance_type', /null/],
    [{ _class_name: 'DPMSolverMultistepScheduler', use_flow_sigmas: true }, 'use_flow_sigmas', /not supported/],
  ])('rejects %j naming %s', (config, field, allowed) => {
    const error = configError(() => createScheduler(config as SchedulerConfig));
    expect(error.source).toBe('scheduler_config.json');
    expect(error.field).toBe(field);
    expect(error.allowed).toMatch(allowed);
  });

  it('maps DEIS and UniPC solver names the way DPMSolverMultistepScheduler.__init__ does', () => {
    const scheduler = createScheduler({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'deis', solver_type: 'logrho' });
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toHaveLength(4);
  });
});

describe('parseSchedulerConfig', () => {
  it('accepts any diffusers class as a base and keeps its keys', () => {
    expect(parseSchedulerConfig(SD15)).toEqual(SD15);
  });

  it.each([
    [null, '(file)'],
    [[1], '(file)'],
    [{ beta_start: 0.1 }, '_class_name'],
    [{ _class_name: 'PNDMScheduler', steps_offset: 0.5 }, 'steps_offset'],
    [{ _class_name: 'PNDMScheduler', trained_betas: ['a'] }, 'trained_betas'],
  ])('rejects %j naming %s', (json, field) => {
    expect(configError(() => parseSchedulerConfig(json)).field).toBe(field);
  });
});

describe('schedulerConfigFor', () => {
  it('lists the six choices with AUTOMATIC1111 labels', () => {
    expect(SCHEDULER_CHOICES.map((c) => c.label)).toEqual(['Euler', 'Euler a', 'DDIM', 'LCM', 'DPM++ 2M', 'DPM++ 2M Karras']);
    expect(SCHEDULER_CHOICES.map((c) => c.id)).toEqual(Object.keys(SCHEDULERS));
  });

  it('carries the model\'s explicit keys to the new class (SD 1.5 -> DDIM keeps clip_sample false, steps_offset 1)', () => {
    const config = schedulerConfigFor('ddim', parseSchedulerConfig(SD15));
    expect(config).toMatchObject({ _class_name: 'DDIMScheduler', clip_sample: false, set_alpha_to_one: false, steps_offset: 1 });
    const scheduler = createScheduler(config);
    scheduler.setTimesteps(20);
    expect(scheduler.timesteps.slice(0, 2)).toEqual([951, 901]);
  });

  it('gives keys the model left out the new class\'s defaults (test_default_arguments_not_in_config)', () => {
    // SD 1.5 sets no timestep_spacing: PNDM's "leading" default does not carry over to Euler's "linspace".
    const euler = createScheduler(schedulerConfigFor('euler', parseSchedulerConfig(SD15)));
    euler.setTimesteps(2);
    expect(euler.timesteps).toEqual([999, 0]);
    // An explicit spacing sticks.
    const trailing = createScheduler(schedulerConfigFor('euler', { ...SD15, timestep_spacing: 'trailing' }));
    trailing.setTimesteps(2);
    expect(trailing.timesteps).toEqual([999, 499]);
  });

  it.each([
    ['euler', 'EulerDiscreteScheduler'],
    ['euler-a', 'EulerAncestralDiscreteScheduler'],
    ['ddim', 'DDIMScheduler'],
    ['lcm', 'LCMScheduler'],
    ['dpmpp-2m', 'DPMSolverMultistepScheduler'],
    ['dpmpp-2m-karras', 'DPMSolverMultistepScheduler'],
  ] as const)('%s builds %s', (choice, className) => {
    expect(createScheduler(schedulerConfigFor(choice, SD15)).className).toBe(className);
  });

  it('makes DPM++ 2M plain second-order dpmsolver++ and the Karras one use Karras sigmas', () => {
    const base = { _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'sde-dpmsolver++', solver_order: 3, use_karras_sigmas: true };
    expect(schedulerConfigFor('dpmpp-2m', base)).toMatchObject({ algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: false });
    expect(schedulerConfigFor('dpmpp-2m-karras', SD15)).toMatchObject({ use_karras_sigmas: true });
  });
});
