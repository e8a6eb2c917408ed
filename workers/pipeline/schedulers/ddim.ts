// DDIMScheduler (diffusers scheduling_ddim.py) with eta = 0, the
// deterministic sampler pipelines run by default.

import { checkLengths, checkSteps, type StepOutput } from './base.ts';
import { AlphaScheduler, type AlphaPair } from './alpha-scheduler.ts';
import { roundHalfEven, spacedTimesteps } from './schedule.ts';

const f = Math.fround;

/** Deterministic DDIM ("DDIM" in AUTOMATIC1111, eta 0). */
export class DDIMScheduler extends AlphaScheduler {
  readonly className = 'DDIMScheduler';

  setTimesteps(numInferenceSteps: number): void {
    checkSteps(numInferenceSteps);
    const { num_train_timesteps: trainSteps, timestep_spacing: spacing, steps_offset: offset } = this.options;
    if (numInferenceSteps > trainSteps) throw new RangeError(`DDIM cannot take more than ${trainSteps} steps`);
    // Integer timesteps: "linspace" values are rounded half to even by numpy.
    this.timesteps = spacedTimesteps(spacing, trainSteps, numInferenceSteps, offset).map(roundHalfEven);
    this.numInferenceSteps = numInferenceSteps;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepOutput {
    checkLengths(sample, modelOutput);
    const steps = this.requireTimesteps();
    // prev_timestep steps back by the "leading" stride whatever the spacing, as diffusers does.
    const prevTimestep = timestep - Math.floor(this.options.num_train_timesteps / steps);
    const alpha = this.pair(this.alphaProd(timestep));
    const prev = this.pair(this.alphaProd(prevTimestep));
    const x0 = this.predictOriginal(alpha, sample, modelOutput);
    const eps = this.predictEpsilon(alpha, sample, modelOutput);
    // With eta = 0, std_dev_t is 0 and the direction coefficient is sqrt(1 - alpha_prod_t_prev).
    const direction = prev.sqrtBeta;
    const prevSample = x0.map((x, i) => f(prev.sqrtAlpha * x) + f(direction * eps[i]));
    return { prevSample };
  }

  // pred_epsilon of DDIMScheduler.step, taken before clipping.
  private predictEpsilon({ sqrtAlpha, sqrtBeta }: AlphaPair, sample: Float32Array, model: Float32Array): Float32Array {
    const type = this.options.prediction_type;
    if (type === 'epsilon') return model;
    if (type === 'sample') return sample.map((s, i) => f(s - f(sqrtAlpha * model[i])) / sqrtBeta);
    return sample.map((s, i) => f(sqrtAlpha * model[i]) + f(sqrtBeta * s));
  }
}
