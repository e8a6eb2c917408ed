import { describe, expect, it } from 'vitest';
import { formatTimeLeft, timeLeftMs } from './eta.ts';

describe('timeLeftMs', () => {
  it('is unknown before the first step', () => {
    expect(timeLeftMs([], { step: 0, steps: 20, imageIndex: 0, batchCount: 1 })).toBeUndefined();
  });

  it('multiplies the mean of the newest five steps by the steps left', () => {
    // The 900 ms first step (shader compiles) has left the window.
    const times = [900, 100, 100, 100, 200, 100];
    expect(timeLeftMs(times, { step: 6, steps: 20, imageIndex: 0, batchCount: 1 })).toBeCloseTo(120 * 14);
  });

  it('counts the later images of a batch', () => {
    expect(timeLeftMs([100], { step: 4, steps: 4, imageIndex: 0, batchCount: 3 })).toBe(100 * 8);
  });
});

describe('formatTimeLeft', () => {
  it('says seconds, then minutes, and nothing when unknown', () => {
    expect(formatTimeLeft(undefined)).toBe('');
    expect(formatTimeLeft(300)).toBe('less than a second left');
    expect(formatTimeLeft(12_400)).toBe('about 12 s left');
    expect(formatTimeLeft(200_000)).toBe('about 3 min left');
  });
});
