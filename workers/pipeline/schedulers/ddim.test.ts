import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../random.ts';
import { createScheduler } from './index.ts';
import { dummySampleDeter, fullLoop, meanAbs, sumAbs } from './test-fixtures.ts';

// tests/schedulers/test_scheduler_ddim.py and test_scheduler_lcm.py: get_scheduler_config.
const DDIM = { _class_name: 'DDIMScheduler', num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear', clip_sample: true };
const LCM = { _class_name: 'LCMScheduler', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' };

describe('DDIMScheduler reproduces diffusers', () => {
  it.each([
    ['test_full_loop_no_noise', {}, undefined, 172.0067, 0.223967],
    ['test_full_loop_with_v_prediction', { prediction_type: 'v_prediction' }, undefined, 52.5302, 0.0684],
    ['test_full_loop_with_set_alpha_to_one', { set_alpha_to_one: true, beta_start: 0.01 }, undefined, 149.8295, 0.1951],
    ['test_full_loop_with_no_set_alpha_to_one', { set_alpha_to_one: false, beta_start: 0.01 }, undefined, 149.0784, 0.1941],
    ['test_full_loop_with_noise', {}, 8, 354.5418, 0.4616],
  ])('%s', (_, extra, noiseFrom, sum, mean) => {
    const scheduler = createScheduler({ ...DDIM, ...extra });
    scheduler.setTimesteps(10);
    const sample = fullLoop(scheduler, { noiseFrom });
    expect(Math.abs(sumAbs(sample) - sum) / sum).toBeLessThan(1e-5);
    expect(Math.abs(meanAbs(sample) - mean)).toBeLessThan(1e-3);
  });

  it('test_steps_offset: [801, 601, 401, 201, 1]', () => {
    const scheduler = createScheduler({ ...DDIM, steps_offset: 1 });
    scheduler.setTimesteps(5);
    expect(scheduler.timesteps).toEqual([801, 601, 401, 201, 1]);
  });

  it('rounds "linspace" timesteps and supports "trailing"', () => {
    const linspace = createScheduler({ ...DDIM, timestep_spacing: 'linspace' });
    linspace.setTimesteps(4);
    expect(linspace.timesteps).toEqual([999, 666, 333, 0]);
    const trailing = createScheduler({ ...DDIM, timestep_spacing: 'trailing' });
    trailing.setTimesteps(4);
    expect(trailing.timesteps).toEqual([999, 749, 499, 249]);
  });

  it('has unit init noise and no input scaling', () => {
    const scheduler = createScheduler(DDIM);
    scheduler.setTimesteps(10);
    const sample = dummySampleDeter();
    expect(scheduler.initNoiseSigma).toBe(1);
    expect(scheduler.scaleModelInput(sample, 900)).toEqual(sample);
    expect(scheduler.sigmas).toBeUndefined();
  });

  it('takes the model output as x0 for prediction_type "sample", clipped to clip_sample_range', () => {
    const step = (clip: boolean) => {
      const scheduler = createScheduler({ ...DDIM, prediction_type: 'sample', clip_sample: clip, clip_sample_range: 0.5 });
      scheduler.setTimesteps(10);
      return scheduler.step(Float32Array.from([-2, -0.25, 0.25, 2]), 900, new Float32Array(4)).prevSample;
    };
    const [clipped, free] = [step(true), step(false)];
    expect(clipped.slice(1, 3), 'values inside the range are untouched').toEqual(free.slice(1, 3));
    expect(clipped[0]).not.toBeCloseTo(free[0]);
    expect(clipped[3]).not.toBeCloseTo(free[3]);
  });
});

describe('LCMScheduler reproduces diffusers with torch.manual_seed(0)', () => {
  it.each([
    ['test_full_loop_onestep', 1, 18.7097, 0.0244],
    ['test_full_loop_multistep', 10, 197.7616, 0.2575],
  ])('%s', (_, steps, sum, mean) => {
    const scheduler = createScheduler(LCM);
    scheduler.setTimesteps(steps);
    const sample = fullLoop(scheduler, { generator: new TorchGenerator(0) });
    expect(Math.abs(sumAbs(sample) - sum)).toBeLessThan(1e-3);
    expect(Math.abs(meanAbs(sample) - mean)).toBeLessThan(1e-3);
  });

  it('picks evenly spaced timesteps of the 50-step distillation schedule', () => {
    const scheduler = createScheduler(LCM);
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 759, 499, 259]);
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
  });

  it('takes no more steps than original_inference_steps', () => {
    const scheduler = createScheduler(LCM);
    expect(() => scheduler.setTimesteps(51)).toThrow(RangeError);
  });

  it('draws noise on every step but the last', () => {
    const scheduler = createScheduler(LCM);
    scheduler.setTimesteps(2);
    const sample = dummySampleDeter();
    const draws: number[] = [];
    const generator = { randn: (n: number) => (draws.push(n), new Float32Array(n)) };
    for (const t of scheduler.timesteps) scheduler.step(sample, t, sample, generator);
    expect(draws).toEqual([sample.length]);
  });
});
