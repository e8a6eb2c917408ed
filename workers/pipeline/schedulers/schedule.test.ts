import { describe, expect, it } from 'vitest';
import {
  arange,
  cumprodF32,
  interpIndex,
  karrasSigmas,
  linspace,
  linspaceF32,
  logSigmasF32,
  roundHalfEven,
  sigmaToT,
  spacedTimesteps,
} from './schedule.ts';

describe('numpy and torch helpers', () => {
  it('rounds halves to even like numpy.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 812.5, 937.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 812, 938, 2, 3]);
  });

  it('follows numpy.linspace, including one point and endpoint=False', () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(0, 999, 1)).toEqual([0]);
    expect(linspace(0, 50, 4, false)).toEqual([0, 12.5, 25, 37.5]);
  });

  it('follows numpy.arange with a float step', () => {
    expect(arange(1000, 0, -250)).toEqual([1000, 750, 500, 250]);
    expect(arange(1000, 0, -1000 / 3)).toHaveLength(3);
  });

  it('gives torch.linspace float32 values, exact at both ends', () => {
    const betas = linspaceF32(0.0001, 0.02, 1000);
    expect(betas[0]).toBe(Math.fround(0.0001));
    expect(betas[999]).toBe(Math.fround(0.02));
    expect(linspaceF32(3, 7, 1)).toEqual(new Float32Array([3]));
  });

  it('accumulates cumprod in double and rounds each value to float32', () => {
    const values = new Float32Array([0.9, 0.9, 0.9]);
    const out = cumprodF32(values);
    expect(out[2]).toBe(Math.fround(values[0] * values[1] * values[2]));
  });

  it('interpolates like numpy.interp over integer knots', () => {
    const fp = [0, 10, 20];
    expect(interpIndex(0.25, fp)).toBe(2.5);
    expect(interpIndex(-1, fp)).toBe(0);
    expect(interpIndex(5, fp)).toBe(20);
    expect(interpIndex(1, fp)).toBe(10);
  });

  it('maps a train sigma back to its timestep', () => {
    const sigmas = new Float32Array([0.1, 0.2, 0.4, 0.8]);
    const logs = logSigmasF32(sigmas);
    expect(sigmaToT(sigmas[2], logs)).toBeCloseTo(2, 6);
    expect(sigmaToT(10, logs)).toBe(3);
    expect(sigmaToT(0.01, logs)).toBe(0);
  });

  it('builds Karras sigmas from sigma_max down to sigma_min', () => {
    const sigmas = karrasSigmas(0.03, 14.6, 10);
    expect(sigmas[0]).toBeCloseTo(14.6, 10);
    expect(sigmas[9]).toBeCloseTo(0.03, 10);
    expect(sigmas.every((s, i) => i === 0 || s < sigmas[i - 1])).toBe(true);
  });
});

describe('timestep spacing (Table 2 of arXiv 2305.08891)', () => {
  it('"trailing" over 1000 train steps in 4 gives SD-Turbo\'s [999, 749, 499, 249]', () => {
    expect(spacedTimesteps('trailing', 1000, 4, 0)).toEqual([999, 749, 499, 249]);
  });

  it('"trailing" rounds x.5 to even as numpy does', () => {
    // arange(1000, 0, -62.5) holds 937.5 and 812.5.
    const timesteps = spacedTimesteps('trailing', 1000, 16, 0);
    expect(timesteps.slice(0, 4)).toEqual([999, 937, 874, 811]);
  });

  it('"leading" adds steps_offset: DDIM test_steps_offset gives [801, 601, 401, 201, 1]', () => {
    expect(spacedTimesteps('leading', 1000, 5, 1)).toEqual([801, 601, 401, 201, 1]);
  });

  it('"linspace" spans 0 to num_train_timesteps - 1 unrounded', () => {
    const timesteps = spacedTimesteps('linspace', 1100, 10, 0);
    expect(timesteps[0]).toBe(1099);
    expect(timesteps[1]).toBeCloseTo(976.8888889, 6);
    expect(timesteps[9]).toBe(0);
  });
});
