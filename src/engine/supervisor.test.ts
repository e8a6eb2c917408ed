import { describe, expect, it } from 'vitest';
import { EngineFailedError, ModelFileError } from '../shared/errors.ts';
import type { Job } from '../shared/job.ts';
import type { MemoryOptions } from '../shared/settings.ts';
import { fakeSource, fakeWorkers, type Fault } from './fake-workers.ts';
import { REASONS, Supervisor, type SupervisorEvent } from './supervisor.ts';

const source = fakeSource();
const job = { id: 'job', modelId: 'tiny', settings: { steps: 4, width: 64, height: 64, guidance: 0 }, createdAt: 0 } as unknown as Job;

function supervise(faults: Fault[], memory: MemoryOptions = { lowMemory: false, residentModels: 1 }, firstStepMs = 200, loadMs = 0) {
  const workers = fakeWorkers(faults, loadMs);
  const events: SupervisorEvent[] = [];
  const listeners: ((event: SupervisorEvent) => void)[] = [];
  const supervisor = new Supervisor({
    spawn: workers.spawn,
    backend: () => 'auto',
    memory: () => memory,
    onEvent: (event) => {
      events.push(event);
      for (const listener of listeners) listener(event);
    },
    backoffMs: 1,
    firstStepMs,
    stallFloorMs: 100,
    loadFloorMs: 100,
  });
  return { supervisor, workers, events, onEvent: (listener: (event: SupervisorEvent) => void) => listeners.push(listener) };
}

describe('Supervisor', () => {
  it.each([
    ['crash', 'The engine crashed (boom).'],
    ['lose-device', REASONS.deviceLost],
    ['hang', REASONS.hung],
  ] as const)('recovers from a %s and resumes after the last completed step', async (fault, reason) => {
    const { supervisor, workers, events } = supervise([fault]);
    const result = await supervisor.run(job, source, () => {});
    expect(workers.resumedFrom).toEqual([undefined, 1]);
    expect(result.timings.unetRuns).toBe(3);
    expect(workers.terminated()).toBe(1);
    expect(events.filter((e) => e.kind !== 'ready')).toMatchObject([
      { kind: 'recovering', reason, attempt: 1 },
      { kind: 'recovered', reason, resumedAtStep: 1, steps: 4 },
    ]);
  });

  it('notices a hang after a step at the stall floor when its preview is the latent approximation, which compiles nothing', async () => {
    // A first-step allowance of 60 s would outlast the test; the 100 ms floor must apply.
    const { supervisor, workers } = supervise(['hang'], undefined, 60_000);
    await supervisor.run(job, source, () => {});
    expect(workers.terminated()).toBe(1);
  });

  const withDecoder = { ...source, previewDecoder: { kind: 'url', baseUrl: 'x', path: 'preview_decoder/model.onnx' } } as const;

  it("gives a preview decoder's first preview as long as the first step took, which compiled the UNet's shaders", async () => {
    const { supervisor, workers } = supervise(['slow-first-preview'], undefined, 60_000);
    await supervisor.run(job, withDecoder, () => {});
    expect(workers.terminated()).toBe(0);
  });

  it("notices a hang before a preview decoder's first preview at the stall floor when the first step was quick", async () => {
    // A first-step allowance of 60 s would outlast the test; the 100 ms floor must apply.
    const { supervisor, workers } = supervise(['hang'], undefined, 60_000);
    await supervisor.run(job, withDecoder, () => {});
    expect(workers.terminated()).toBe(1);
  });

  it('backs off and gives up after repeated deaths, keeping the reason', async () => {
    const { supervisor, events } = supervise(['crash', 'crash', 'crash', 'crash']);
    await expect(supervisor.run(job, source, () => {})).rejects.toBeInstanceOf(EngineFailedError);
    const delays = events.flatMap((e) => (e.kind === 'recovering' ? [e.delayMs] : []));
    expect(delays).toEqual([1, 2, 4]);
  });

  it('passes other errors through without restarting', async () => {
    const { supervisor, workers } = supervise(['bad-model']);
    await expect(supervisor.run(job, source, () => {})).rejects.toBeInstanceOf(ModelFileError);
    expect(workers.terminated()).toBe(0);
  });

  it('gives a network that low-memory mode creates mid-job the first-step allowance, not the stall floor', async () => {
    const { supervisor, workers } = supervise(['slow-swap'], undefined, 2000);
    await supervisor.run(job, source, () => {});
    expect(workers.terminated()).toBe(0);
  });

  it('holds the steps of a big UNet on the CPU to what their work predicts, not to the stall floor', async () => {
    // 100 MB of fp32 weights at 64x64 on wasm: about 5 s a step allowed, where the floor is 100 ms and a step takes 300 ms.
    const { supervisor, workers } = supervise(['slow-steps']);
    await supervisor.run(job, fakeSource('big', 100e6), () => {});
    expect(workers.terminated()).toBe(0);
  });

  it('still counts a 300 ms step of a tiny UNet as a hang past the 100 ms floor', async () => {
    const { supervisor, workers } = supervise(['slow-steps']);
    await supervisor.run(job, source, () => {});
    expect(workers.terminated()).toBeGreaterThan(0);
  });

  it('restarts a worker whose model load hangs and loads the model in the next one, saying so', async () => {
    const { supervisor, workers, events } = supervise(['hang-load']);
    await supervisor.prepare(source);
    expect(workers.terminated()).toBe(1);
    expect(workers.loads.map((load) => load.modelId)).toEqual(['tiny']);
    expect(events.map((e) => e.kind)).toEqual(['recovering', 'ready']);
    expect(events[0]).toMatchObject({ reason: REASONS.loadHung, attempt: 1 });
  });

  it('gives up on a load that hangs in every worker, telling the user to choose the model again', async () => {
    const { supervisor } = supervise(['hang-load', 'hang-load', 'hang-load', 'hang-load']);
    const failed = supervisor.prepare(source);
    await expect(failed).rejects.toBeInstanceOf(EngineFailedError);
    await expect(failed).rejects.toThrow(`(${REASONS.loadHung}). Choose the model again to retry.`);
  });

  it.each([
    ['while the hung load waits', 'hang-load'],
    ['during the back-off after it', 'recovering'],
  ] as const)('loads only the model chosen %s, not the hung one again', async (_, when) => {
    const { supervisor, workers, events, onEvent } = supervise(['hang-load']);
    const other = fakeSource('other');
    let chosen: Promise<unknown> | undefined;
    const choose = () => (chosen ??= supervisor.prepare(other));
    if (when === 'recovering') onEvent((event) => event.kind === 'recovering' && choose());
    const first = supervisor.prepare(source);
    if (when === 'hang-load') choose();
    await Promise.all([first, chosen]);
    expect(workers.loads.map((load) => load.modelId)).toEqual(['other']);
    expect(events.filter((e) => e.kind === 'ready')).toMatchObject([{ modelId: 'other' }]);
  });

  it('runs a job whose model load hung in its first worker, from the first step', async () => {
    const { supervisor, workers, events } = supervise(['hang-load']);
    const result = await supervisor.run(job, source, () => {});
    expect(result.timings.unetRuns).toBe(4);
    expect(workers.resumedFrom).toEqual([undefined]);
    expect(events.filter((e) => e.kind !== 'ready')).toMatchObject([
      { kind: 'recovering', reason: REASONS.loadHung },
      { kind: 'recovered', reason: REASONS.loadHung, resumedAtStep: 0 },
    ]);
  });

  it('lets a big network load for as long as its weights predict, not the load floor', async () => {
    // 10 MB of weights: about 2 s allowed, where the floor is 100 ms and the load takes 300 ms.
    const { supervisor, workers } = supervise([], undefined, undefined, 300);
    await supervisor.prepare(fakeSource('big', 10e6));
    expect(workers.terminated()).toBe(0);
  });

  it('still counts a 300 ms load of a tiny model as a hang past the 100 ms floor', async () => {
    const { supervisor, workers } = supervise([], undefined, undefined, 300);
    await expect(supervisor.prepare(source)).rejects.toBeInstanceOf(EngineFailedError);
    expect(workers.terminated()).toBe(4);
  });

  it('loads the model again only when it or the memory options change', async () => {
    const memory: MemoryOptions = { lowMemory: false, residentModels: 1 };
    const { supervisor, workers } = supervise([], memory);
    await supervisor.prepare(source);
    await supervisor.prepare(source);
    memory.lowMemory = true;
    await supervisor.prepare(source);
    expect(workers.loads.map((load) => load.options)).toEqual([
      { lowMemory: false, residentModels: 1 },
      { lowMemory: true, residentModels: 1 },
    ]);
  });

  it('loads a model once when two prepares for it overlap, starting one worker', async () => {
    const { supervisor, workers } = supervise([]);
    await Promise.all([supervisor.prepare(source), supervisor.prepare(source)]);
    expect(workers.loads.map((load) => load.modelId)).toEqual(['tiny']);
  });

  it('loads overlapping models one after the other, as ORT needs, and runs a job after both', async () => {
    const { supervisor, workers } = supervise([]);
    const other = fakeSource('other');
    const [, , result] = await Promise.all([supervisor.prepare(source), supervisor.prepare(other), supervisor.run(job, source, () => {})]);
    expect(workers.loads.map((load) => load.modelId)).toEqual(['tiny', 'other', 'tiny']);
    expect(result.timings.unetRuns).toBe(4);
  });
});
