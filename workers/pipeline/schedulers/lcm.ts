// LCMScheduler (diffusers scheduling_lcm.py): consistency-model steps over a
// subset of the distillation schedule, re-noised between steps.

import type { NoiseSource } from '../random.ts';
import { checkLengths, checkSteps, drawNoise, type StepOutput } from './base.ts';
import { AlphaScheduler } from './alpha-scheduler.ts';
import type { LcmOptions } from './config.ts';
import { linspace } from './schedule.ts';

const f = Math.fround;

/** Latent Consistency Model sampler; noise comes from the generator passed to `step`. */
export class LCMScheduler extends AlphaScheduler {
  readonly className = 'LCMScheduler';

  constructor(protected override readonly options: LcmOptions) {
    super(options);
  }

  setTimesteps(numInferenceSteps: number): void {
    checkSteps(numInferenceSteps);
    const { num_train_timesteps: trainSteps, original_inference_steps: originalSteps } = this.options;
    if (numInferenceSteps > originalSteps) {
      throw new RangeError(`LCM cannot take more than original_inference_steps (${originalSteps}) steps`);
    }
    // The distillation schedule: every k-th train timestep, k = num_train_timesteps // original_steps.
    const k = Math.floor(trainSteps / originalSteps);
    const origin = Array.from({ length: originalSteps }, (_, i) => (originalSteps - i) * k - 1);
    // np.floor(np.linspace(0, len, num=steps, endpoint=False)) picks evenly spaced indices of it.
    this.timesteps = linspace(0, origin.length, numInferenceSteps, false).map((x) => origin[Math.floor(x)]);
    this.numInferenceSteps = numInferenceSteps;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  // get_scalings_for_boundary_condition_discrete, sigma_data = 0.5, in float32.
  private boundaryScalings(timestep: number): { cSkip: number; cOut: number } {
    const scaled = f(timestep * f(this.options.timestep_scaling));
    const denom = f(f(scaled * scaled) + 0.25);
    return { cSkip: f(0.25 / denom), cOut: f(scaled / f(Math.sqrt(denom))) };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseSource): StepOutput {
    checkLengths(sample, modelOutput);
    const steps = this.requireTimesteps();
    const index = this.currentIndex(timestep);
    const prevTimestep = index + 1 < this.timesteps.length ? this.timesteps[index + 1] : timestep;
    const alpha = this.pair(this.alphaProd(timestep));
    const prev = this.pair(this.alphaProd(prevTimestep));
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    const x0 = this.predictOriginal(alpha, sample, modelOutput);
    const denoised = x0.map((x, i) => f(cOut * x) + f(cSkip * sample[i]));
    let prevSample = denoised;
    // "Noise is not used on the final timestep of the timestep schedule."
    if (index !== steps - 1) {
      const noise = drawNoise(generator, sample.length, this.className);
      prevSample = denoised.map((d, i) => f(prev.sqrtAlpha * d) + f(prev.sqrtBeta * noise[i]));
    }
    this.stepIndex = index + 1;
    return { prevSample };
  }
}
