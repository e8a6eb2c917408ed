// What DDIMScheduler and LCMScheduler share: the DDPM parameterisation
// x_t = sqrt(alpha_prod_t) x_0 + sqrt(1 - alpha_prod_t) eps over integer
// train timesteps, and its x0 / epsilon estimates.

import { SchedulerBase, checkLengths } from './base.ts';
import type { DdimOptions } from './config.ts';
import { makeAlphasCumprod } from './schedule.ts';

const f = Math.fround;

/** sqrt(alpha_prod_t) and sqrt(1 - alpha_prod_t) as float32 torch scalars. */
export interface AlphaPair {
  sqrtAlpha: number;
  sqrtBeta: number;
}

/** Base of DDIM and LCM; subclasses implement `setTimesteps` and `step`. */
export abstract class AlphaScheduler extends SchedulerBase {
  readonly initNoiseSigma = 1;
  protected readonly alphasCumprod: Float32Array;
  /** alpha_prod for "before t = 0": 1, or alphas_cumprod[0] without set_alpha_to_one. */
  protected readonly finalAlphaCumprod: number;

  constructor(protected readonly options: DdimOptions) {
    super();
    this.alphasCumprod = makeAlphasCumprod(options, false);
    this.finalAlphaCumprod = options.set_alpha_to_one ? 1 : this.alphasCumprod[0];
    const n = options.num_train_timesteps;
    this.timesteps = Array.from({ length: n }, (_, i) => n - 1 - i);
  }

  /** alpha_prod at a train timestep, or the final one for t < 0. */
  protected alphaProd(timestep: number): number {
    if (timestep < 0) return this.finalAlphaCumprod;
    const value = this.alphasCumprod[timestep];
    if (!Number.isInteger(timestep) || value === undefined) throw new RangeError(`timestep ${timestep} is not a train timestep`);
    return value;
  }

  protected pair(alphaProd: number): AlphaPair {
    return { sqrtAlpha: f(Math.sqrt(alphaProd)), sqrtBeta: f(Math.sqrt(f(1 - alphaProd))) };
  }

  /** These classes need no input scaling; returns a copy. */
  scaleModelInput(sample: Float32Array): Float32Array<ArrayBuffer> {
    return sample.slice();
  }

  /** DDPMScheduler.add_noise: sqrt(alpha_prod) * original + sqrt(1 - alpha_prod) * noise. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array<ArrayBuffer> {
    checkLengths(original, noise);
    const { sqrtAlpha, sqrtBeta } = this.pair(this.alphaProd(timestep));
    return original.map((x, i) => f(sqrtAlpha * x) + f(sqrtBeta * noise[i]));
  }

  /** "predicted x_0" of formula (12) of the DDIM paper, then clipped when clip_sample is set. */
  protected predictOriginal({ sqrtAlpha, sqrtBeta }: AlphaPair, sample: Float32Array, model: Float32Array): Float32Array<ArrayBuffer> {
    const type = this.options.prediction_type;
    let x0: Float32Array<ArrayBuffer>;
    if (type === 'epsilon') x0 = sample.map((s, i) => f(s - f(sqrtBeta * model[i])) / sqrtAlpha);
    else if (type === 'sample') x0 = model.slice();
    else x0 = sample.map((s, i) => f(sqrtAlpha * s) - f(sqrtBeta * model[i]));
    if (this.options.clip_sample) {
      const range = f(this.options.clip_sample_range);
      return x0.map((x) => Math.min(Math.max(x, -range), range));
    }
    return x0;
  }
}
