import { describe, expect, it } from 'vitest';
import { LatestWrites } from './latest-writes.ts';

/** A store whose writes finish only when the test lets them. */
function slowStore() {
  const written: [string, number | undefined][] = [];
  const pending: (() => void)[] = [];
  const write = (key: string, value: number | undefined) =>
    new Promise<void>((resolve) =>
      pending.push(() => {
        written.push([key, value]);
        resolve();
      }),
    );
  const finishOne = async () => {
    pending.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { write, written, pending, finishOne };
}

describe('LatestWrites', () => {
  it('never makes the caller wait, writes one at a time per key, and skips values a newer one replaced', async () => {
    const store = slowStore();
    const writes = new LatestWrites(store.write, () => {});
    for (let step = 1; step <= 5; step++) writes.put('job', step);
    expect(store.pending, 'only the first is in flight').toHaveLength(1);
    await store.finishOne();
    await store.finishOne();
    expect(store.written).toEqual([
      ['job', 1],
      ['job', 5],
    ]);
    expect(store.pending).toHaveLength(0);
  });

  it('keeps keys apart and orders a delete after the write in flight, so a deleted key stays deleted', async () => {
    const store = slowStore();
    const writes = new LatestWrites(store.write, () => {});
    writes.put('a', 1);
    writes.put('b', 1);
    writes.put('a', 2);
    writes.put('a', undefined);
    const settled = writes.settled();
    while (store.pending.length > 0) await store.finishOne();
    await settled;
    expect(store.written).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', undefined],
    ]);
  });

  it('reports a failed write and goes on with the next value', async () => {
    const errors: unknown[] = [];
    const written: number[] = [];
    const writes = new LatestWrites<string, number>(async (_key, value) => {
      if (value === 1) throw new Error('The disk is full');
      written.push(value!);
    }, (error) => errors.push(error));
    writes.put('job', 1);
    writes.put('job', 2);
    await writes.settled();
    expect(errors).toEqual([new Error('The disk is full')]);
    expect(written).toEqual([2]);
  });
});
