// Test-only fixtures: diffusers' tests/schedulers/test_schedulers.py
// (SchedulerCommonTest.dummy_sample_deter, dummy_noise_deter, dummy_model),
// flattened to NCHW so the scheduler tests replay diffusers' own full loops.

import type { NoiseSource } from '../random.ts';
import type { Scheduler } from './base.ts';

const f = Math.fround;
const BATCH = 4;
const CHANNELS = 3;
const SIZE = 8;
const COUNT = BATCH * CHANNELS * SIZE * SIZE;

// arange(768).reshape(3, 8, 8, 4).permute(3, 0, 1, 2): NCHW index -> arange value.
function arangeIndex(i: number): number {
  const b = Math.floor(i / (CHANNELS * SIZE * SIZE));
  const c = Math.floor(i / (SIZE * SIZE)) % CHANNELS;
  const h = Math.floor(i / SIZE) % SIZE;
  const w = i % SIZE;
  return ((c * SIZE + h) * SIZE + w) * BATCH + b;
}

/** `dummy_sample_deter`: arange(768) / 768 laid out as (4, 3, 8, 8). */
export function dummySampleDeter(): Float32Array {
  return Float32Array.from({ length: COUNT }, (_, i) => arangeIndex(i) / COUNT);
}

/** `dummy_noise_deter`: the same with arange flipped. */
export function dummyNoiseDeter(): Float32Array {
  return Float32Array.from({ length: COUNT }, (_, i) => (COUNT - 1 - arangeIndex(i)) / COUNT);
}

/** `dummy_model`: sample * t / (t + 1) in float32. */
export function dummyModel(sample: Float32Array, t: number): Float32Array {
  const tf = f(t);
  const denom = f(tf + 1);
  return sample.map((x) => f(x * tf) / denom);
}

/** `torch.sum(torch.abs(x))`. */
export function sumAbs(x: Float32Array): number {
  return x.reduce((acc, v) => acc + Math.abs(v), 0);
}

/** `torch.mean(torch.abs(x))`. */
export function meanAbs(x: Float32Array): number {
  return sumAbs(x) / x.length;
}

/** `sample * factor` in float32, as `dummy_sample_deter * scheduler.init_noise_sigma`. */
export function times(sample: Float32Array, factor: number): Float32Array {
  return sample.map((x) => x * factor);
}

/** How a full loop differs between diffusers' test files. */
export interface LoopOptions {
  /** The Euler tests feed `scale_model_input`'s result back as the sample. */
  scaleInput?: boolean;
  generator?: NoiseSource;
  /** Start at this index of the schedule after `add_noise` of dummy_noise_deter, as `test_full_loop_with_noise`. */
  noiseFrom?: number;
  /** Multiply the start sample by `initNoiseSigma`. */
  initNoise?: boolean;
}

/** A diffusers `full_loop` over `scheduler.timesteps` with dummy_model. */
export function fullLoop(scheduler: Scheduler, options: LoopOptions = {}): Float32Array {
  let sample = dummySampleDeter();
  if (options.initNoise) sample = times(sample, scheduler.initNoiseSigma);
  let timesteps = scheduler.timesteps;
  if (options.noiseFrom !== undefined) {
    timesteps = timesteps.slice(options.noiseFrom);
    sample = scheduler.addNoise(sample, dummyNoiseDeter(), timesteps[0]);
  }
  for (const t of timesteps) {
    if (options.scaleInput) sample = scheduler.scaleModelInput(sample, t);
    sample = scheduler.step(dummyModel(sample, t), t, sample, options.generator).prevSample;
  }
  return sample;
}
