import { describe, expect, it } from 'vitest';
import { checkCheckpoint, MT_WORDS, type Checkpoint } from './checkpoint.ts';

const job = { id: 'j', settings: { steps: 4, batchCount: 2, width: 64, height: 128 } };
const LATENTS = 4 * 8 * 16;

function checkpoint(overrides: Record<string, unknown> = {}): Checkpoint {
  return {
    build: 'this-build',
    jobId: 'j',
    imageIndex: 1,
    step: 2,
    latents: new Float32Array(LATENTS),
    scheduler: { className: 'EulerDiscreteScheduler', numInferenceSteps: 4, stepIndex: 2, beginIndex: null },
    generator: { mt: new Uint32Array(MT_WORDS), index: MT_WORDS, nextNormal: null },
    ...overrides,
  } as Checkpoint;
}

const reasonFor = (raw: unknown) => {
  const result = checkCheckpoint(raw, job, 'this-build');
  return result.ok ? 'ok' : result.reason;
};

describe('checkCheckpoint', () => {
  it('accepts a checkpoint of this build that fits the job', () => {
    expect(reasonFor(checkpoint())).toBe('ok');
    const dpm = { className: 'DPMSolverMultistepScheduler', numInferenceSteps: 4, stepIndex: 2, beginIndex: null, modelOutputs: [null, new Float32Array(LATENTS)], lowerOrderNums: 1 };
    expect(reasonFor(checkpoint({ scheduler: dpm }))).toBe('ok');
  });

  it.each([
    ['another build', { build: 'older' }, 'another version of Hearth (older)'],
    ['a checkpoint without a build', { build: undefined }, 'another version of Hearth (unknown)'],
    ['another job', { jobId: 'k' }, 'another job'],
    ['step 0', { step: 0 }, 'step 0 is not between 1 and 4'],
    ['a step past the end', { step: 5 }, 'step 5 is not between 1 and 4'],
    ['an image past the batch', { imageIndex: 2 }, 'image 2 is not in the batch of 2'],
    ['latents of another size', { latents: new Float32Array(4 * 8 * 8) }, 'latents do not fit a 64×128 image'],
    ['an empty scheduler state', { scheduler: {} }, 'scheduler "undefined" is unknown'],
    ['a scheduler set up for other steps', { scheduler: { className: 'DDIMScheduler', numInferenceSteps: 8, stepIndex: 2, beginIndex: null } }, 'set up for 8 steps, not 4'],
    ['a scheduler step out of range', { scheduler: { className: 'DDIMScheduler', numInferenceSteps: 4, stepIndex: -1, beginIndex: null } }, 'scheduler step is out of range'],
    ['DPM-Solver without its history', { scheduler: { className: 'DPMSolverMultistepScheduler', numInferenceSteps: 4, stepIndex: 2, beginIndex: null } }, 'lacks the model output history'],
    ['DPM-Solver history of another size', { scheduler: { className: 'DPMSolverMultistepScheduler', numInferenceSteps: 4, stepIndex: 2, beginIndex: null, modelOutputs: [new Float32Array(3)], lowerOrderNums: 1 } }, 'lacks the model output history'],
    ['an empty generator state', { generator: {} }, 'random generator state is missing'],
    ['a generator past its words', { generator: { mt: new Uint32Array(MT_WORDS), index: MT_WORDS + 1, nextNormal: null } }, 'generator position is out of range'],
    ['a generator cache that is not a number', { generator: { mt: new Uint32Array(MT_WORDS), index: 0, nextNormal: 'x' } }, 'cache is not a number'],
  ])('refuses %s, saying why', (_, overrides, reason) => {
    expect(reasonFor(checkpoint(overrides))).toContain(reason);
  });

  it('refuses what is not a checkpoint at all', () => {
    expect(reasonFor('garbage')).toBe('it is not a checkpoint');
    expect(reasonFor(null)).toBe('it is not a checkpoint');
  });
});
