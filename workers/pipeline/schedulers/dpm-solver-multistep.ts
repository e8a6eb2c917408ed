// DPMSolverMultistepScheduler (diffusers scheduling_dpmsolver_multistep.py):
// multistep DPM-Solver / DPM-Solver++ of orders 1-3, ODE and SDE variants.

import type { NoiseSource } from '../random.ts';
import { SchedulerBase, checkLengths, checkSteps, drawNoise, type SchedulerState, type StepOutput } from './base.ts';
import type { DpmOptions } from './config.ts';
import { alphaSigma, combine, lambdaOf, updateTerms } from './dpm-updates.ts';
import {
  arange,
  exponentialSigmas,
  interpIndex,
  karrasSigmas,
  linspace,
  logSigmasF32,
  makeAlphasCumprod,
  roundHalfEven,
  sigmaAtZero,
  sigmaToT,
  trainSigmas,
} from './schedule.ts';

const f = Math.fround;

/** Multistep DPM-Solver ("DPM++ 2M", with Karras sigmas "DPM++ 2M Karras"). */
export class DPMSolverMultistepScheduler extends SchedulerBase {
  readonly className = 'DPMSolverMultistepScheduler';
  readonly initNoiseSigma = 1;
  sigmas: number[];
  protected override missingTimestepIsLast = true;
  private readonly alphasCumprod: Float32Array;
  private modelOutputs: (Float32Array | null)[];
  private lowerOrderNums = 0;

  constructor(private readonly options: DpmOptions) {
    super();
    this.alphasCumprod = makeAlphasCumprod(options, true);
    const n = options.num_train_timesteps;
    this.timesteps = Array.from({ length: n }, (_, i) => n - 1 - i);
    this.sigmas = [...trainSigmas(this.alphasCumprod)];
    this.modelOutputs = new Array<null>(options.solver_order).fill(null);
  }

  // Timesteps before the lambda_min_clipped cut ("critical for cosine (squaredcos_cap_v2) noise schedule").
  private lastTimestep(): number {
    const n = this.options.num_train_timesteps;
    const limit = f(this.options.lambda_min_clipped);
    let clipped = 0;
    // torch.searchsorted over flip(lambda_t), which ascends.
    while (clipped < n && lambdaOf(this.alphasCumprod[n - 1 - clipped]) < limit) clipped++;
    return n - clipped;
  }

  private spacedTimesteps(steps: number): number[] {
    const { timestep_spacing: spacing, num_train_timesteps: trainSteps, steps_offset: offset } = this.options;
    const last = this.lastTimestep();
    if (spacing === 'linspace') return linspace(0, last - 1, steps + 1).map(roundHalfEven).reverse().slice(0, -1);
    if (spacing === 'leading') {
      const ratio = Math.floor(last / (steps + 1));
      return Array.from({ length: steps }, (_, i) => (steps - i) * ratio + offset);
    }
    return arange(last, 0, -trainSteps / steps).map((t) => roundHalfEven(t) - 1);
  }

  setTimesteps(numInferenceSteps: number): void {
    checkSteps(numInferenceSteps);
    const options = this.options;
    const train = trainSigmas(this.alphasCumprod);
    const logSigmas = logSigmasF32(train);
    // The full train range (diffusers flips the sigmas first), or the config's sigma_min / sigma_max.
    const min = options.sigma_min ?? train[0];
    const max = options.sigma_max ?? train[train.length - 1];
    let timesteps = this.spacedTimesteps(numInferenceSteps);
    let sigmas: number[];
    const roundsToTrain = options.beta_schedule !== 'squaredcos_cap_v2';
    if (options.use_karras_sigmas || options.use_lu_lambdas) {
      if (options.use_karras_sigmas) sigmas = karrasSigmas(min, max, numInferenceSteps);
      else {
        // _convert_to_lu: log-sigmas evenly spaced between the flipped ends (rho = 1).
        const high = logSigmas[logSigmas.length - 1];
        const low = logSigmas[0];
        sigmas = linspace(0, 1, numInferenceSteps).map((r) => Math.exp(high + r * (low - high)));
      }
      timesteps = sigmas.map((s) => sigmaToT(s, logSigmas));
      if (roundsToTrain) timesteps = timesteps.map(roundHalfEven);
    } else if (options.use_exponential_sigmas) {
      sigmas = exponentialSigmas(min, max, numInferenceSteps);
      timesteps = sigmas.map((s) => sigmaToT(s, logSigmas));
    } else {
      sigmas = timesteps.map((t) => interpIndex(t, train));
    }
    sigmas.push(options.final_sigmas_type === 'sigma_min' ? sigmaAtZero(this.alphasCumprod) : 0);
    this.sigmas = sigmas.map(f);
    // .to(dtype=torch.int64) truncates any fractional timestep left.
    this.timesteps = timesteps.map(Math.trunc);
    this.numInferenceSteps = this.timesteps.length;
    this.modelOutputs = new Array<null>(options.solver_order).fill(null);
    this.lowerOrderNums = 0;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  /** No input scaling for this class; returns a copy. */
  scaleModelInput(sample: Float32Array): Float32Array<ArrayBuffer> {
    return sample.slice();
  }

  /** alpha_t * original + sigma_t * noise at the timestep's sigma. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array<ArrayBuffer> {
    checkLengths(original, noise);
    const { alpha, sigma } = alphaSigma(this.sigmas[this.noiseIndex(timestep)]);
    return original.map((x, i) => f(alpha * x) + f(sigma * noise[i]));
  }

  // convert_model_output: x0 for the ++ algorithms, epsilon for the others.
  private convert(model: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const { alpha, sigma: sigmaT } = alphaSigma(sigma);
    const type = this.options.prediction_type;
    if (this.options.algorithm_type.endsWith('++')) {
      if (type === 'epsilon') return sample.map((s, i) => f(s - f(sigmaT * model[i])) / alpha);
      if (type === 'sample') return model.slice();
      return sample.map((s, i) => f(alpha * s) - f(sigmaT * model[i]));
    }
    if (type === 'epsilon') return model.slice();
    if (type === 'sample') return sample.map((s, i) => f(s - f(alpha * model[i])) / sigmaT);
    return sample.map((s, i) => f(alpha * model[i]) + f(sigmaT * s));
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseSource): StepOutput {
    checkLengths(sample, modelOutput);
    const { solver_order: order, lower_order_final: lowerFinal, algorithm_type: algorithm } = this.options;
    this.requireTimesteps();
    const index = this.currentIndex(timestep);
    const count = this.timesteps.length;
    // "Improve numerical stability for small number of steps"
    const lowerOrderFinal =
      index === count - 1 && (this.options.euler_at_final || (lowerFinal && count < 15) || this.options.final_sigmas_type === 'zero');
    const lowerOrderSecond = index === count - 2 && lowerFinal && count < 15;
    const converted = this.convert(modelOutput, sample, this.sigmas[index]);
    this.modelOutputs = [...this.modelOutputs.slice(1), converted];
    const noise = algorithm.startsWith('sde') ? drawNoise(generator, sample.length, this.className) : null;
    let stepOrder = 3;
    if (order === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) stepOrder = 1;
    else if (order === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) stepOrder = 2;
    const history = this.modelOutputs.slice(-stepOrder) as Float32Array[];
    const sigmas = this.sigmas.slice(index - stepOrder + 1, index + 2).reverse();
    const prevSample = combine(updateTerms(this.options, sigmas, history.reverse(), sample, noise));
    if (this.lowerOrderNums < order) this.lowerOrderNums++;
    this.stepIndex = index + 1;
    return { prevSample };
  }

  override getState(): SchedulerState {
    return {
      ...super.getState(),
      modelOutputs: this.modelOutputs.map((m) => m && m.slice()),
      lowerOrderNums: this.lowerOrderNums,
    };
  }

  override setState(state: SchedulerState): void {
    const outputs = state.modelOutputs;
    if (!outputs || outputs.length !== this.options.solver_order || state.lowerOrderNums === undefined) {
      throw new RangeError('DPMSolverMultistepScheduler state lacks its model output history');
    }
    super.setState(state);
    this.modelOutputs = outputs.map((m) => m && m.slice());
    this.lowerOrderNums = state.lowerOrderNums;
  }
}
