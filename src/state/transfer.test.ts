import { describe, expect, it } from 'vitest';
import { addSample, formatBytes, formatDuration, transferRate } from './transfer.ts';

describe('transferRate', () => {
  it('measures over the window and gives the time left', () => {
    const samples = [
      { at: 0, loaded: 0 },
      { at: 4000, loaded: 2_000_000 },
      { at: 6000, loaded: 3_000_000 },
    ];
    // The window drops the sample at 0: 1 MB in 2 s.
    expect(transferRate(samples, 10_000_000)).toEqual({ bytesPerSecond: 500_000, secondsLeft: 14 });
    expect(transferRate(samples.slice(0, 1), 100)).toBeUndefined();
    expect(transferRate([{ at: 0, loaded: 5 }, { at: 1000, loaded: 5 }], 100)?.secondsLeft).toBe(Infinity);
  });

  it('keeps only the samples of the window', () => {
    let samples = [{ at: 0, loaded: 0 }];
    for (let at = 1000; at <= 10_000; at += 1000) samples = addSample(samples, { at, loaded: at });
    expect(samples.map((sample) => sample.at)).toEqual([5000, 6000, 7000, 8000, 9000, 10_000]);
  });
});

describe('formatting', () => {
  it('writes bytes and durations for people', () => {
    expect([999, 1500, 425_698, 1_730_000_000].map(formatBytes)).toEqual(['999 B', '1.50 kB', '426 kB', '1.73 GB']);
    expect([42, 185, 3720, Infinity].map(formatDuration)).toEqual(['42 s', '3 min 5 s', '1 h 2 min', 'unknown']);
  });
});
