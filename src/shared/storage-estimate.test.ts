import { describe, expect, it } from 'vitest';
import { reportedRoom } from './storage-estimate.ts';

const GiB = 2 ** 30;

describe('reportedRoom', () => {
  it('trusts a real quota', () => expect(reportedRoom({ quota: 64_123_456_789, usage: 334_512_004 })).toBe(64_123_456_789 - 334_512_004));
  it("sees through Chromium's fixed estimate of usage + 10 GiB, the figure behind \"10.7 GB available\"", () =>
    expect(reportedRoom({ quota: 334_512_004 + 10 * GiB, usage: 334_512_004 })).toBeUndefined());
  it('sees through the fixed estimate on a small disk (rounded up to whole GiB)', () => expect(reportedRoom({ quota: 1234 + 3 * GiB, usage: 1234 })).toBeUndefined());
  it('reports a full quota as no room', () => expect(reportedRoom({ quota: 1000, usage: 1200 })).toBe(0));
  it('knows nothing without numbers', () => expect(reportedRoom({})).toBeUndefined());
});
