import { describe, expect, it } from 'vitest';
import { SCHEDULER_CHOICES } from '../../../src/shared/settings.ts';
import { TorchGenerator } from '../random.ts';
import { createScheduler, schedulerConfigFor, type Scheduler } from './index.ts';

// A Stable Diffusion 2.x-style base config; each choice derives its own from it.
const BASE = {
  _class_name: 'DDIMScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
};
const STEPS = 8;
const LATENTS = 4 * 8 * 8;

// A made-up but nonlinear "UNet", so multistep history matters.
function model(sample: Float32Array, t: number): Float32Array {
  return sample.map((x, i) => Math.sin(x * 3 + t / 250 + i) * 0.8);
}

function fresh(choice: (typeof SCHEDULER_CHOICES)[number]['id']): Scheduler {
  const scheduler = createScheduler(schedulerConfigFor(choice, BASE));
  scheduler.setTimesteps(STEPS);
  return scheduler;
}

function runSteps(scheduler: Scheduler, generator: TorchGenerator, latents: Float32Array, from: number, to: number): Float32Array {
  for (let step = from; step < to; step++) {
    const t = scheduler.timesteps[step];
    const input = scheduler.scaleModelInput(latents, t);
    latents = scheduler.step(model(input, t), t, latents, generator).prevSample;
  }
  return latents;
}

describe.each(SCHEDULER_CHOICES.map((c) => c.id))('%s', (choice) => {
  it('resumes bit-exactly from a structured-cloned mid-run state', () => {
    const start = new TorchGenerator(7).randn(LATENTS);
    const straight = runSteps(fresh(choice), new TorchGenerator(1), start, 0, STEPS);

    for (const cut of [1, 3, STEPS - 1]) {
      const first = fresh(choice);
      const generator = new TorchGenerator(1);
      const halfway = runSteps(first, generator, start, 0, cut);
      const saved = structuredClone({ scheduler: first.getState(), generator: generator.getState(), latents: halfway });

      const resumed = fresh(choice);
      resumed.setState(saved.scheduler);
      const restored = new TorchGenerator(0);
      restored.setState(saved.generator);
      const end = runSteps(resumed, restored, saved.latents, cut, STEPS);
      expect(end).toEqual(straight);
    }
  });

  it('does not mutate its inputs', () => {
    const scheduler = fresh(choice);
    const generator = new TorchGenerator(3);
    let latents = generator.randn(LATENTS);
    for (const t of scheduler.timesteps) {
      const before = latents.slice();
      const input = scheduler.scaleModelInput(latents, t);
      expect(latents).toEqual(before);
      const output = model(input, t);
      const outputBefore = output.slice();
      const result = scheduler.step(output, t, latents, generator);
      expect(latents).toEqual(before);
      expect(output).toEqual(outputBefore);
      expect(result.prevSample).not.toBe(latents);
      latents = result.prevSample;
    }
    const noise = generator.randn(LATENTS);
    const snapshot = [latents.slice(), noise.slice()];
    scheduler.addNoise(latents, noise, scheduler.timesteps[0]);
    expect([latents, noise]).toEqual(snapshot);
  });

  it('keeps its state apart from the objects getState and setState see', () => {
    const scheduler = fresh(choice);
    const generator = new TorchGenerator(5);
    runSteps(scheduler, generator, generator.randn(LATENTS), 0, 2);
    const before = scheduler.getState();
    const handedOut = scheduler.getState();
    for (const output of handedOut.modelOutputs ?? []) output?.fill(123);
    expect(scheduler.getState()).toEqual(before);
    const copy = fresh(choice);
    const handedIn = scheduler.getState();
    copy.setState(handedIn);
    for (const output of handedIn.modelOutputs ?? []) output?.fill(123);
    expect(copy.getState()).toEqual(before);
  });
});

describe('setState', () => {
  it('refuses a state from another class or step count', () => {
    const euler = fresh('euler');
    expect(() => euler.setState(fresh('ddim').getState())).toThrow(RangeError);
    const other = createScheduler(schedulerConfigFor('euler', BASE));
    other.setTimesteps(STEPS + 1);
    expect(() => euler.setState(other.getState())).toThrow(RangeError);
  });

  it('honours setBeginIndex after a restore', () => {
    const scheduler = fresh('dpmpp-2m');
    scheduler.setBeginIndex(2);
    const copy = fresh('dpmpp-2m');
    copy.setState(structuredClone(scheduler.getState()));
    expect(copy.getState()).toMatchObject({ beginIndex: 2, stepIndex: null, lowerOrderNums: 0 });
  });
});
