import { describe, expect, it } from 'vitest';
import type { PreviewEvery } from '../../src/shared/settings.ts';
import { previewCadence } from './preview-cadence.ts';

/** Which of `steps` steps get a preview, with fixed step and preview times. */
function dueSteps(every: PreviewEvery, steps: number, stepMs: number, previewMs: (step: number) => number): number[] {
  const cadence = previewCadence(every);
  const due: number[] = [];
  for (let step = 1; step <= steps; step++) {
    if (cadence.due(step, steps)) {
      due.push(step);
      cadence.record(stepMs, previewMs(step));
    } else {
      cadence.record(stepMs);
    }
  }
  return due;
}

describe('previewCadence', () => {
  it('gives no previews when off', () => {
    expect(dueSteps('off', 10, 100, () => 1)).toEqual([]);
  });

  it('gives every Nth step and the last one', () => {
    expect(dueSteps(3, 10, 100, () => 1)).toEqual([3, 6, 9, 10]);
  });

  it('in auto, previews every step while a preview costs at most a tenth of a step', () => {
    expect(dueSteps('auto', 6, 100, () => 10)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('in auto, spaces previews so they cost at most a tenth of the step time, judged on the warm decode', () => {
    // 900 ms for the first decode (shader compiles), then 50 ms: every ceil(50 / 10) = 5 steps once two are timed.
    const due = dueSteps('auto', 20, 100, (step) => (step === 1 ? 900 : 50));
    expect(due).toEqual([1, 2, 7, 12, 17, 20]);
    const previewMs = due.reduce((sum, step) => sum + (step === 1 ? 900 : 50), 0) - 900;
    const stepMs = 20 * 100;
    // The last step's preview comes on top of the budget; without it, the rest stays within 10%.
    expect((previewMs - 50) / stepMs).toBeLessThanOrEqual(0.1);
  });
});
