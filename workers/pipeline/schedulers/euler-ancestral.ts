// EulerAncestralDiscreteScheduler (diffusers scheduling_euler_ancestral_discrete.py):
// an Euler step down to sigma_down, then fresh noise of scale sigma_up.

import type { NoiseSource } from '../random.ts';
import { checkLengths, checkSteps, drawNoise, type StepOutput } from './base.ts';
import { PLAIN_SIGMAS, SigmaScheduler, eulerSchedule, predictOriginal } from './sigma-scheduler.ts';

const f = Math.fround;

/** Ancestral Euler sampler ("Euler a" in AUTOMATIC1111); noise comes from the generator passed to `step`. */
export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  readonly className = 'EulerAncestralDiscreteScheduler';

  setTimesteps(numInferenceSteps: number): void {
    checkSteps(numInferenceSteps);
    // Its set_timesteps is EulerDiscreteScheduler's with linear interpolation and a final sigma of 0.
    const { timesteps, sigmas } = eulerSchedule({ ...this.options, ...PLAIN_SIGMAS }, this.alphasCumprod, numInferenceSteps);
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = numInferenceSteps;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseSource): StepOutput {
    checkLengths(sample, modelOutput);
    const index = this.currentIndex(timestep);
    const sigma = this.sigmas[index];
    const pred = predictOriginal(this.options.prediction_type, sigma, sample, modelOutput);
    const toSquared = f(this.sigmas[index + 1] ** 2);
    const fromSquared = f(sigma * sigma);
    const sigmaUp = f(Math.sqrt(f(f(toSquared * f(fromSquared - toSquared)) / fromSquared)));
    const sigmaDown = f(Math.sqrt(f(toSquared - f(sigmaUp * sigmaUp))));
    const dt = f(sigmaDown - sigma);
    const noise = drawNoise(generator, sample.length, this.className);
    const prevSample = sample.map((s, i) => f(s + f(f(f(s - pred[i]) / sigma) * dt)) + f(noise[i] * sigmaUp));
    this.stepIndex = index + 1;
    return { prevSample };
  }
}
