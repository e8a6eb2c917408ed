// The scheduler contract and the step-index bookkeeping the diffusers classes
// share (`_step_index`, `_begin_index`, `index_for_timestep`).

import type { SchedulerClassName, SchedulerState } from '../../../src/shared/checkpoint.ts';
import type { NoiseSource } from '../random.ts';

export type { SchedulerState };

/** What `step` returns; arrays are fresh and NCHW like the inputs. */
export interface StepOutput {
  prevSample: Float32Array<ArrayBuffer>;
}

/** A diffusers scheduler over flat float32 tensors; methods never mutate their inputs. */
export interface Scheduler {
  readonly className: SchedulerClassName;
  /** The timesteps to feed the UNet, in order (floats for the Euler classes). */
  readonly timesteps: readonly number[];
  /** The sigma-based classes' schedule, ending with the sigma the last step lands on; absent for DDIM and LCM. */
  readonly sigmas?: readonly number[];
  /** Standard deviation of the initial noise: multiply randn latents by it. */
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  setBeginIndex(beginIndex: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array<ArrayBuffer>;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseSource): StepOutput;
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array<ArrayBuffer>;
  getState(): SchedulerState;
  setState(state: SchedulerState): void;
}

/** Throws unless every array has the sample's length (the math is elementwise). */
export function checkLengths(sample: Float32Array, ...others: Float32Array[]): void {
  for (const other of others) {
    if (other.length !== sample.length) throw new RangeError(`tensor of ${other.length} values where ${sample.length} were expected`);
  }
}

/** Throws unless `steps` is a whole number of at least 1. */
export function checkSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`numInferenceSteps must be a whole number >= 1, not ${steps}`);
}

/** Draws `count` normals, or throws: ancestral steps cannot run without a generator. */
export function drawNoise(generator: NoiseSource | undefined, count: number, className: string): Float32Array {
  if (!generator) throw new Error(`${className}.step needs a noise generator`);
  return generator.randn(count);
}

/** Step counting shared by the classes that keep `_step_index`. */
export abstract class SchedulerBase {
  abstract readonly className: SchedulerClassName;
  timesteps: number[] = [];
  protected numInferenceSteps: number | null = null;
  protected stepIndex: number | null = null;
  protected beginIndex: number | null = null;

  /** `set_begin_index`: where an img2img run enters the schedule. */
  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** DPMSolverMultistepScheduler maps a timestep missing from the schedule to the last index instead of raising. */
  protected missingTimestepIsLast = false;

  /**
   * `index_for_timestep`: the second match when the timestep repeats, so a run
   * entering mid-schedule does not skip a sigma.
   */
  protected indexForTimestep(timestep: number): number {
    const matches: number[] = [];
    this.timesteps.forEach((t, i) => {
      if (t === timestep) matches.push(i);
    });
    if (matches.length === 0) {
      if (this.missingTimestepIsLast) return this.timesteps.length - 1;
      throw new RangeError(`timestep ${timestep} is not in the ${this.className} schedule`);
    }
    return matches.length > 1 ? matches[1] : matches[0];
  }

  /** `_init_step_index` on the first call, then the running counter. */
  protected currentIndex(timestep: number): number {
    this.stepIndex ??= this.beginIndex ?? this.indexForTimestep(timestep);
    return this.stepIndex;
  }

  /** The sigma index `add_noise` uses: by timestep, or the begin/current index once the pipeline set one. */
  protected noiseIndex(timestep: number): number {
    if (this.beginIndex === null) return this.indexForTimestep(timestep);
    return this.stepIndex ?? this.beginIndex;
  }

  protected requireTimesteps(): number {
    if (this.numInferenceSteps === null) {
      throw new Error(`Number of inference steps is not set: call ${this.className}.setTimesteps first`);
    }
    return this.numInferenceSteps;
  }

  getState(): SchedulerState {
    return {
      className: this.className,
      numInferenceSteps: this.numInferenceSteps,
      stepIndex: this.stepIndex,
      beginIndex: this.beginIndex,
    };
  }

  setState(state: SchedulerState): void {
    if (state.className !== this.className || state.numInferenceSteps !== this.numInferenceSteps) {
      throw new RangeError(
        `state of ${state.className} with ${state.numInferenceSteps} steps does not fit ${this.className} with ${this.numInferenceSteps}`,
      );
    }
    this.stepIndex = state.stepIndex;
    this.beginIndex = state.beginIndex;
  }
}
