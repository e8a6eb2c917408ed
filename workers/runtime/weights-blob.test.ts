import { describe, expect, it } from 'vitest';
import { paceUploads, weightsBlob } from './weights-blob.ts';

const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251);

/** Reads a slice's stream as ORT's JSPI build does: a BYOB reader into one scratch buffer. */
async function readLikeOrt(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  const reader = blob.slice(start, end).stream().getReader({ mode: 'byob' });
  const out = new Uint8Array(end - start);
  let scratch = new ArrayBuffer(65_536);
  for (let at = 0; ; ) {
    const { value, done } = await reader.read(new Uint8Array(scratch));
    if (value) {
      out.set(value, at);
      at += value.byteLength;
      scratch = value.buffer;
    }
    if (done) return out;
  }
}

describe('weightsBlob', () => {
  it('reads each slice whole through a BYOB reader, after what comes before it has settled', async () => {
    const asked: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const blob = weightsBlob(new Blob([bytes.subarray(0, 100_000), bytes.subarray(100_000)]), (size) => (asked.push(size), gate));
    let read = false;
    const slice = readLikeOrt(blob, 1_000, 250_000).then((data) => ((read = true), data));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(asked).toEqual([249_000]);
    expect(read, 'read before the gate opened').toBe(false);
    release();
    expect(await slice).toEqual(bytes.subarray(1_000, 250_000));
    expect(await readLikeOrt(blob, 0, 0)).toEqual(new Uint8Array(0));
  });

  it('reads as it is where nothing paces it', async () => {
    expect(await readLikeOrt(weightsBlob(new Blob([bytes])), 5, 299_999)).toEqual(bytes.subarray(5, 299_999));
  });
});

describe('paceUploads', () => {
  it('waits for the GPU once 64 MiB of weights have gone since the last wait', async () => {
    let waits = 0;
    const device = { queue: { onSubmittedWorkDone: async () => void waits++ } } as unknown as GPUDevice;
    const before = paceUploads(device);
    const MiB = 1024 * 1024;
    for (const size of [40 * MiB, 24 * MiB]) await before(size);
    expect(waits).toBe(0);
    await before(1);
    expect(waits).toBe(1);
    await before(64 * MiB);
    expect(waits).toBe(1);
    await before(1);
    expect(waits).toBe(2);
  });
});
