import { describe, expect, it } from 'vitest';
import { watchOutOfMemory } from './gpu-memory.ts';

class FakeOutOfMemory extends Error {}
class FakeValidation extends Error {}
Object.assign(globalThis, { GPUOutOfMemoryError: FakeOutOfMemory });

const uncaptured = (error: Error) => Object.assign(new Event('uncapturederror'), { error });

describe('watchOutOfMemory', () => {
  it('reports an out-of-memory error once, and ignores other GPU errors', () => {
    const device = new EventTarget() as unknown as GPUDevice;
    const oom = watchOutOfMemory(device);
    device.dispatchEvent(uncaptured(new FakeValidation('bad bind group')));
    expect(oom.take()).toBe(false);
    device.dispatchEvent(uncaptured(new FakeOutOfMemory('no room')));
    expect(oom.take()).toBe(true);
    expect(oom.take()).toBe(false);
  });
});
