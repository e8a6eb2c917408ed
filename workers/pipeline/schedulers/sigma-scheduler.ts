// What EulerDiscreteScheduler and EulerAncestralDiscreteScheduler share: the
// k-diffusion sigma schedule (x_t = x_0 + sigma * noise), the input scaling
// and the x0 estimate.

import { SchedulerBase, checkLengths } from './base.ts';
import type { CommonOptions, EulerOptions, PredictionType } from './config.ts';
import {
  exponentialSigmas,
  interpIndex,
  karrasSigmas,
  linspaceF32,
  logSigmasF32,
  makeAlphasCumprod,
  sigmaAtZero,
  sigmaToT,
  spacedTimesteps,
  trainSigmas,
} from './schedule.ts';

const f = Math.fround;

/** The Euler schedule options EulerAncestralDiscreteScheduler fixes at their defaults. */
export const PLAIN_SIGMAS = {
  interpolation_type: 'linear',
  timestep_type: 'discrete',
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  final_sigmas_type: 'zero',
} as const;

/** EulerDiscreteScheduler.set_timesteps: float32 timesteps, and one more float32 sigma. */
export function eulerSchedule(options: EulerOptions, alphasCumprod: Float32Array, steps: number) {
  const train = trainSigmas(alphasCumprod);
  const logSigmas = logSigmasF32(train);
  let timesteps = spacedTimesteps(options.timestep_spacing, options.num_train_timesteps, steps, options.steps_offset).map(f);
  let sigmas: number[];
  if (options.interpolation_type === 'linear') {
    sigmas = timesteps.map((t) => interpIndex(t, train));
  } else {
    // torch.linspace(log(sigma_max), log(sigma_min), steps + 1).exp() in float32: one sigma more than timesteps.
    const logs = linspaceF32(logSigmas[logSigmas.length - 1], logSigmas[0], steps + 1);
    sigmas = Array.from(logs, (l) => f(Math.exp(l)));
  }
  if (options.use_karras_sigmas || options.use_exponential_sigmas) {
    const min = options.sigma_min ?? sigmas[sigmas.length - 1];
    const max = options.sigma_max ?? sigmas[0];
    sigmas = options.use_karras_sigmas ? karrasSigmas(min, max, steps) : exponentialSigmas(min, max, steps);
    timesteps = sigmas.map((s) => f(sigmaToT(s, logSigmas)));
  }
  sigmas.push(options.final_sigmas_type === 'sigma_min' ? sigmaAtZero(alphasCumprod) : 0);
  sigmas = sigmas.map(f);
  if (options.timestep_type === 'continuous' && options.prediction_type === 'v_prediction') {
    // "TODO: Support the full EDM scalings": diffusers feeds 0.25 * log(sigma) as the timestep.
    timesteps = sigmas.slice(0, -1).map((s) => f(0.25 * f(Math.log(s))));
  }
  return { timesteps, sigmas };
}

/** Base of the two Euler classes; subclasses implement `step`. */
export abstract class SigmaScheduler extends SchedulerBase {
  sigmas: number[];
  protected readonly alphasCumprod: Float32Array;

  constructor(protected readonly options: CommonOptions) {
    super();
    this.alphasCumprod = makeAlphasCumprod(options, true);
    // Before set_timesteps: every train timestep, descending, and its sigma.
    const n = options.num_train_timesteps;
    this.timesteps = Array.from({ length: n }, (_, i) => n - 1 - i);
    this.sigmas = [...trainSigmas(this.alphasCumprod).reverse(), 0];
  }

  /** `init_noise_sigma`: the largest sigma, or sqrt(sigma_max**2 + 1) for "leading" spacing. */
  get initNoiseSigma(): number {
    const max = f(Math.max(...this.sigmas));
    const spacing = this.options.timestep_spacing;
    return spacing === 'linspace' || spacing === 'trailing' ? max : f(Math.sqrt(f(f(max * max) + 1)));
  }

  /** Divides by sqrt(sigma**2 + 1) so the UNet sees unit-variance input. */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array<ArrayBuffer> {
    const sigma = this.sigmas[this.currentIndex(timestep)];
    const scale = f(Math.sqrt(f(f(sigma * sigma) + 1)));
    return sample.map((x) => x / scale);
  }

  /** `original + noise * sigma` at the timestep's sigma. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array<ArrayBuffer> {
    checkLengths(original, noise);
    const sigma = this.sigmas[this.noiseIndex(timestep)];
    return original.map((x, i) => x + f(noise[i] * sigma));
  }
}

/** The x0 estimate of the Euler steps, with torch's float32 rounding after each operation. */
export function predictOriginal(type: PredictionType, sigma: number, sample: Float32Array, model: Float32Array): Float32Array<ArrayBuffer> {
  if (type === 'sample') return model.slice();
  if (type === 'epsilon') return sample.map((s, i) => s - f(sigma * model[i]));
  // v_prediction: model_output * c_out + sample * c_skip, with c_skip written as a division.
  const denom = f(f(sigma * sigma) + 1);
  const cOut = f(-sigma / f(Math.sqrt(denom)));
  return sample.map((s, i) => f(model[i] * cOut) + f(s / denom));
}
