import { describe, expect, it } from 'vitest';
import { countBuffers } from './gpu-buffers.ts';

function fakeDevice() {
  const destroyed: number[] = [];
  const device = {
    createBuffer: (descriptor: GPUBufferDescriptor) => ({ size: descriptor.size, destroy: () => void destroyed.push(descriptor.size) }),
  };
  return { device: device as unknown as GPUDevice, destroyed };
}

describe('countBuffers', () => {
  it('counts created buffers and their bytes until destroyed, once each', () => {
    const { device, destroyed } = fakeDevice();
    const tally = countBuffers(device);
    const a = device.createBuffer({ size: 1024, usage: 0 });
    const b = device.createBuffer({ size: 256, usage: 0 });
    expect(tally()).toEqual({ count: 2, bytes: 1280, peakBytes: 1280 });
    a.destroy();
    a.destroy();
    expect(tally()).toEqual({ count: 1, bytes: 256, peakBytes: 1280 });
    expect(destroyed, 'the real destroy still runs').toEqual([1024, 1024]);
    b.destroy();
    device.createBuffer({ size: 512, usage: 0 });
    expect(tally(), 'the peak is the most ever held at once').toEqual({ count: 1, bytes: 512, peakBytes: 1280 });
  });

  it('forgets a buffer that was dropped and collected without destroy()', async () => {
    const { device } = fakeDevice();
    const tally = countBuffers(device);
    (() => void device.createBuffer({ size: 4096, usage: 0 }))();
    expect(tally().bytes).toBe(4096);
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run vitest with --expose-gc (see vite.config.ts test.execArgv)');
    await expect
      .poll(async () => {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
        return tally().bytes;
      })
      .toBe(0);
  });
});
