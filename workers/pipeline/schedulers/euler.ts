// EulerDiscreteScheduler (diffusers scheduling_euler_discrete.py): Algorithm 2
// of Karras et al. 2022 with s_churn = 0, so it never draws noise.

import { checkLengths, checkSteps, type StepOutput } from './base.ts';
import type { EulerOptions } from './config.ts';
import { SigmaScheduler, eulerSchedule, predictOriginal } from './sigma-scheduler.ts';

const f = Math.fround;

/** Deterministic first-order Euler sampler ("Euler" in AUTOMATIC1111). */
export class EulerDiscreteScheduler extends SigmaScheduler {
  readonly className = 'EulerDiscreteScheduler';

  constructor(protected override readonly options: EulerOptions) {
    super(options);
  }

  setTimesteps(numInferenceSteps: number): void {
    checkSteps(numInferenceSteps);
    const { timesteps, sigmas } = eulerSchedule(this.options, this.alphasCumprod, numInferenceSteps);
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = numInferenceSteps;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepOutput {
    checkLengths(sample, modelOutput);
    const index = this.currentIndex(timestep);
    // gamma is 0 without s_churn, so sigma_hat = sigma * (gamma + 1) = sigma.
    const sigma = this.sigmas[index];
    const pred = predictOriginal(this.options.prediction_type, sigma, sample, modelOutput);
    const dt = f(this.sigmas[index + 1] - sigma);
    const prevSample = sample.map((s, i) => s + f(f(f(s - pred[i]) / sigma) * dt));
    this.stepIndex = index + 1;
    return { prevSample };
  }
}
