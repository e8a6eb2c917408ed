/** Buffers alive on a device: created and neither destroyed nor garbage-collected. */
export interface BufferTally {
  count: number;
  bytes: number;
  /** The most `bytes` ever was since counting began: a polled reading misses peaks inside one ORT call. */
  peakBytes: number;
}

/**
 * Counts the buffers created on `device` from now on. WebGPU reports no memory
 * use, but ORT creates every buffer through the device object the worker
 * hands it (emscripten's WebGPU bindings call `device.createBuffer`), so
 * wrapping that method sees them all. A buffer ORT drops without `destroy()`
 * holds its memory until collected, hence the FinalizationRegistry.
 */
export function countBuffers(device: GPUDevice): () => BufferTally {
  const tally: BufferTally = { count: 0, bytes: 0, peakBytes: 0 };
  const forget = (size: number) => {
    tally.count--;
    tally.bytes -= size;
  };
  const collected = new FinalizationRegistry<number>(forget);
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = create(descriptor);
    const { size } = descriptor;
    tally.count++;
    tally.bytes += size;
    tally.peakBytes = Math.max(tally.peakBytes, tally.bytes);
    const token = {};
    collected.register(buffer, size, token);
    const destroy = buffer.destroy.bind(buffer);
    let alive = true;
    buffer.destroy = () => {
      if (alive) {
        alive = false;
        collected.unregister(token);
        forget(size);
      }
      destroy();
    };
    return buffer;
  };
  return () => ({ ...tally });
}
