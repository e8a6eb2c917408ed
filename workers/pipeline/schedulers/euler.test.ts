import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../random.ts';
import { createScheduler } from './index.ts';
import { fullLoop, meanAbs, sumAbs } from './test-fixtures.ts';

// tests/schedulers/test_scheduler_euler.py and test_scheduler_euler_ancestral.py: get_scheduler_config.
const EULER = { _class_name: 'EulerDiscreteScheduler', num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };
const EULER_A = { ...EULER, _class_name: 'EulerAncestralDiscreteScheduler' };
// stabilityai/sd-turbo scheduler/scheduler_config.json
const SD_TURBO = {
  _class_name: 'EulerDiscreteScheduler',
  _diffusers_version: '0.24.0.dev0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'trailing',
  trained_betas: null,
  use_karras_sigmas: false,
};

function run(config: Record<string, unknown>, options: Parameters<typeof fullLoop>[1] = {}) {
  const scheduler = createScheduler({ _class_name: 'EulerDiscreteScheduler', ...config });
  scheduler.setTimesteps(10);
  return fullLoop(scheduler, { scaleInput: true, initNoise: true, ...options });
}

describe('EulerDiscreteScheduler reproduces diffusers', () => {
  it.each([
    ['test_full_loop_no_noise', {}, 10.0807, 0.0131],
    ['test_full_loop_device_karras_sigmas', { use_karras_sigmas: true }, 124.52299499511719, 0.16213932633399963],
  ])('%s', (_, extra, sum, mean) => {
    const sample = run({ ...EULER, ...extra });
    expect(Math.abs(sumAbs(sample) - sum) / sum).toBeLessThan(1e-5);
    expect(Math.abs(meanAbs(sample) - mean)).toBeLessThan(1e-3);
  });

  it('test_full_loop_with_noise', () => {
    const sample = run(EULER, { noiseFrom: 8 });
    expect(Math.abs(sumAbs(sample) - 57062.9297)).toBeLessThan(1e-2);
    expect(Math.abs(meanAbs(sample) - 74.3007)).toBeLessThan(1e-3);
  });

  it('test_full_loop_with_v_prediction (both end near 0, within diffusers tolerances)', () => {
    const sample = run({ ...EULER, prediction_type: 'v_prediction' });
    expect(Math.abs(sumAbs(sample) - 0.0002)).toBeLessThan(1e-2);
    expect(Math.abs(meanAbs(sample) - 2.2676e-6)).toBeLessThan(1e-3);
  });

  it('gives float32 "linspace" timesteps and a zero final sigma', () => {
    const scheduler = createScheduler(EULER);
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps[1]).toBe(Math.fround((1099 / 9) * 8));
    expect(scheduler.sigmas).toHaveLength(11);
    expect(scheduler.sigmas?.[10]).toBe(0);
    expect(scheduler.initNoiseSigma).toBe(scheduler.sigmas?.[0]);
  });

  it('uses SD-Turbo\'s trailing timesteps [999, 749, 499, 249]', () => {
    const scheduler = createScheduler(SD_TURBO);
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 749, 499, 249]);
  });

  it('scales init_noise_sigma by sqrt(sigma_max**2 + 1) for "leading" spacing, with steps_offset', () => {
    const scheduler = createScheduler({ ...SD_TURBO, timestep_spacing: 'leading' });
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([751, 501, 251, 1]);
    const max = scheduler.sigmas![0];
    expect(scheduler.initNoiseSigma).toBe(Math.fround(Math.sqrt(Math.fround(Math.fround(max * max) + 1))));
  });

  it('ends on the t = 0 sigma with final_sigmas_type "sigma_min"', () => {
    const scheduler = createScheduler({ ...EULER, final_sigmas_type: 'sigma_min' });
    scheduler.setTimesteps(10);
    // The last "linspace" timestep is 0, so the last two sigmas are both the t = 0 train sigma.
    expect(scheduler.sigmas?.[10]).toBe(scheduler.sigmas?.[9]);
    expect(scheduler.sigmas?.[10]).toBeCloseTo(0.01, 5);
  });

  it('feeds 0.25 * log(sigma) as timesteps for continuous v-prediction', () => {
    const scheduler = createScheduler({ ...EULER, prediction_type: 'v_prediction', timestep_type: 'continuous' });
    scheduler.setTimesteps(5);
    expect(scheduler.timesteps[0]).toBeCloseTo(0.25 * Math.log(scheduler.sigmas![0]), 5);
  });

  it('gives log_linear interpolation one sigma more, as diffusers does', () => {
    const scheduler = createScheduler({ ...EULER, interpolation_type: 'log_linear' });
    scheduler.setTimesteps(10);
    expect(scheduler.sigmas).toHaveLength(12);
    expect(Number.isFinite(sumAbs(fullLoop(scheduler, { scaleInput: true, initNoise: true })))).toBe(true);
  });

  it('draws no noise (s_churn = 0)', () => {
    const generator = new TorchGenerator(0);
    const before = JSON.stringify(generator.getState());
    run(EULER, { generator });
    expect(JSON.stringify(generator.getState())).toBe(before);
  });
});

describe('EulerAncestralDiscreteScheduler reproduces diffusers with torch.manual_seed(0)', () => {
  it.each([
    ['test_full_loop_no_noise', {}, undefined, 152.3192, 0.1983],
    ['test_full_loop_with_v_prediction', { prediction_type: 'v_prediction' }, undefined, 108.4439, 0.1412],
    ['test_full_loop_with_noise', {}, 8, 56163.0508, 73.129],
  ])('%s', (_, extra, noiseFrom, sum, mean) => {
    const scheduler = createScheduler({ ...EULER_A, ...extra });
    scheduler.setTimesteps(10);
    const sample = fullLoop(scheduler, { scaleInput: true, initNoise: true, noiseFrom, generator: new TorchGenerator(0) });
    expect(Math.abs(sumAbs(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(meanAbs(sample) - mean)).toBeLessThan(1e-3);
  });

  it('needs a generator for its noise', () => {
    const scheduler = createScheduler(EULER_A);
    scheduler.setTimesteps(2);
    const sample = new Float32Array(4);
    expect(() => scheduler.step(sample, scheduler.timesteps[0], sample)).toThrow(/noise generator/);
  });

  it('uses SD-Turbo\'s trailing timesteps too', () => {
    const scheduler = createScheduler({ ...SD_TURBO, _class_name: 'EulerAncestralDiscreteScheduler' });
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 749, 499, 249]);
  });
});
