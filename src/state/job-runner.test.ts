import { describe, expect, it } from 'vitest';
import { fakeSource, fakeWorkers, type Fault } from '../engine/fake-workers.ts';
import { Supervisor } from '../engine/supervisor.ts';
import type { Checkpoint } from '../shared/checkpoint.ts';
import { DEFAULT_SETTINGS } from '../shared/settings.ts';
import type { GeneratedImage, Job } from '../shared/job.ts';
import { JobRunner, type RunnerEvent } from './job-runner.ts';
import type { QueuedJob } from './records.ts';

const jobOf = (id: string, prompt = id): QueuedJob => ({ id, modelId: 'tiny', settings: { ...DEFAULT_SETTINGS, prompt, steps: 4 }, createdAt: 0 });

/** A job runner over a real supervisor with fake workers; `saveImage` stands in for the gallery. */
function setUp(faults: Fault[] = [], options: { loadMs?: number; saveImage?: (job: Job, image: GeneratedImage) => Promise<void> } = {}) {
  const workers = fakeWorkers(faults, options.loadMs);
  const supervisor = new Supervisor({
    spawn: workers.spawn,
    backend: () => 'auto',
    memory: () => ({ lowMemory: false, residentModels: 1 }),
    onEvent: () => {},
    backoffMs: 1,
    firstStepMs: 200,
    stallFloorMs: 100,
  });
  const events: RunnerEvent[] = [];
  const listeners: ((event: RunnerEvent) => void)[] = [];
  let savedQueue: readonly QueuedJob[] = [];
  let queueSaves = 0;
  const savedCheckpoints = new Map<string, Checkpoint>();
  /** Every checkpoint write in turn: the job and its step, or `undefined` for a delete. */
  const checkpointWrites: [string, number | undefined][] = [];
  const images: GeneratedImage[] = [];
  const runner = new JobRunner({
    engine: supervisor,
    sourceFor: (modelId) => (modelId === 'tiny' ? fakeSource('tiny') : undefined),
    saveImage: options.saveImage ?? (async (_job, image) => void images.push(image)),
    saveQueue: async (jobs) => void ((savedQueue = jobs), queueSaves++),
    saveCheckpoint: async (jobId, checkpoint) => {
      checkpointWrites.push([jobId, checkpoint?.step]);
      if (checkpoint) savedCheckpoints.set(jobId, checkpoint);
      else savedCheckpoints.delete(jobId);
    },
    onEvent: (event) => {
      events.push(event);
      for (const listener of listeners) listener(event);
    },
  });
  /** Resolves with the event that ends job `id`: done, cancelled or failed. */
  const ended = (id: string) =>
    new Promise<RunnerEvent>((resolve) =>
      listeners.push((event) => {
        if ((event.kind === 'done' || event.kind === 'failed' || event.kind === 'cancelled') && event.job.id === id) resolve(event);
      }),
    );
  return { runner, supervisor, workers, events, images, ended, savedQueue: () => savedQueue, queueSaves: () => queueSaves, savedCheckpoints, checkpointWrites };
}

describe('JobRunner', () => {
  it('runs a queued job, saves its image, and only then lets it leave the queue', async () => {
    const { runner, images, ended, savedQueue } = setUp();
    const end = ended('a');
    await runner.add(jobOf('a'));
    expect(savedQueue().map((job) => job.id), 'saved before it runs').toEqual(['a']);
    expect(await end).toMatchObject({ kind: 'done', timings: { unetRuns: 4 } });
    expect(images).toHaveLength(1);
    expect(runner.jobs).toEqual([]);
    expect(savedQueue()).toEqual([]);
  });

  it('calls a job done only after the gallery saved its image', async () => {
    let saved: () => void = () => {};
    let imageArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (imageArrived = resolve));
    const { runner, events, ended } = setUp([], {
      saveImage: () => {
        imageArrived();
        return new Promise<void>((resolve) => (saved = resolve));
      },
    });
    const end = ended('a');
    await runner.add(jobOf('a'));
    await arrived;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.some((event) => event.kind === 'done'), 'not done while the image is unsaved').toBe(false);
    expect(runner.jobs.map((job) => job.id)).toEqual(['a']);
    expect(runner.runningId).toBe('a');
    saved();
    expect(await end).toMatchObject({ kind: 'done' });
    expect(runner.jobs).toEqual([]);
  });

  it('keeps a job whose image could not be saved, with the reason', async () => {
    const { runner, ended } = setUp([], { saveImage: async () => Promise.reject(new Error('The disk is full')) });
    const end = ended('a');
    await runner.add(jobOf('a'));
    expect(await end).toMatchObject({ kind: 'failed' });
    expect(runner.jobs).toMatchObject([{ id: 'a', error: 'The disk is full' }]);
  });

  it("gives the engine the job's picture on every run, the resumed one after a crash too", async () => {
    const { runner, workers, ended } = setUp(['crash']);
    const input = { image: { width: 8, height: 8, rgba: new Uint8ClampedArray(8 * 8 * 4) }, strength: 0.5, maskBlur: 4 };
    const end = ended('a');
    await runner.add({ ...jobOf('a'), input });
    expect(await end).toMatchObject({ kind: 'done' });
    expect(workers.resumedFrom).toEqual([undefined, 1]);
    expect(workers.inputs).toEqual([input, input]);
  });

  it('saves the checkpoint of every step apart from the queue, which no step rewrites; a job that leaves takes its checkpoint along', async () => {
    const { runner, ended, queueSaves, checkpointWrites } = setUp();
    const end = ended('a');
    await runner.add(jobOf('a'));
    expect(await end).toMatchObject({ kind: 'done' });
    await runner.checkpointsSaved();
    expect(queueSaves(), 'the queue is saved when the job is added and when it leaves, not per step').toBe(2);
    expect(checkpointWrites[0], 'a step saved its checkpoint').toEqual(['a', expect.any(Number)]);
    expect(checkpointWrites.at(-1), 'then the job left and its checkpoint with it').toEqual(['a', undefined]);
  });

  it('keeps the newest checkpoint of a failed job, in memory and saved, until the job is removed', async () => {
    const { runner, ended, savedCheckpoints } = setUp(['crash', 'crash', 'crash', 'crash']);
    const failed = ended('a');
    await runner.add(jobOf('a'));
    expect(await failed).toMatchObject({ kind: 'failed', job: { id: 'a', checkpoint: { step: 4 } } });
    await runner.checkpointsSaved();
    expect(savedCheckpoints.get('a')).toMatchObject({ step: 4 });
    await runner.remove('a');
    await runner.checkpointsSaved();
    expect(savedCheckpoints.size).toBe(0);
  });

  it('restarts a job whose checkpoint does not fit from step 0, saying why', async () => {
    const { runner, workers, events, ended } = setUp(['bad-checkpoint']);
    const checkpoint = { step: 2 } as Checkpoint;
    runner.restore([{ ...jobOf('a'), checkpoint }]);
    const end = ended('a');
    void runner.pump();
    expect(await end).toMatchObject({ kind: 'done', timings: { unetRuns: 4 } });
    expect(workers.resumedFrom).toEqual([2, undefined]);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'restart', reason: 'it was written by another version of Hearth (old)' }));
  });

  it('keeps a failing job with its error, runs the next, and runs the failed one again on Retry', async () => {
    const { runner, ended, savedQueue } = setUp(['bad-model']);
    const failed = ended('bad');
    const next = ended('good');
    await runner.add(jobOf('bad'));
    await runner.add(jobOf('good'));
    expect(await failed).toMatchObject({ kind: 'failed', stalls: false });
    expect(await next).toMatchObject({ kind: 'done' });
    expect(runner.jobs).toMatchObject([{ id: 'bad', error: 'Model file unet/model.onnx: is broken' }]);
    expect(savedQueue(), 'the error survives a reload').toMatchObject([{ id: 'bad', error: 'Model file unet/model.onnx: is broken' }]);

    const retried = ended('bad');
    await runner.retry('bad');
    expect(await retried).toMatchObject({ kind: 'done' });
    expect(runner.jobs).toEqual([]);
  });

  it('removes a failed job on Remove', async () => {
    const { runner, ended, savedQueue } = setUp(['bad-model']);
    const failed = ended('bad');
    await runner.add(jobOf('bad'));
    await failed;
    await runner.remove('bad');
    expect(runner.jobs).toEqual([]);
    expect(savedQueue()).toEqual([]);
  });

  it('stops the queue when the engine itself fails, and Retry resumes on a fresh engine', async () => {
    const { runner, workers, ended } = setUp(['crash', 'crash', 'crash', 'crash']);
    const failed = ended('a');
    await runner.add(jobOf('a'));
    await runner.add(jobOf('b'));
    expect(await failed).toMatchObject({ kind: 'failed', stalls: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runner.runningId, 'b waits for the retry').toBeUndefined();
    expect(runner.jobs.map((job) => job.id)).toEqual(['a', 'b']);

    const a = ended('a');
    const b = ended('b');
    await runner.retry('a');
    expect(await a).toMatchObject({ kind: 'done' });
    expect(await b).toMatchObject({ kind: 'done' });
    // Each crashed worker had finished one step; the fresh one resumes after the fourth.
    expect(workers.resumedFrom).toEqual([undefined, 1, 2, 3, 4, undefined]);
  });

  it('runs a job queued while the model loads once the load ends, loading the model once', async () => {
    const { runner, supervisor, workers, ended } = setUp([], { loadMs: 50 });
    const loading = supervisor.prepare(fakeSource('tiny'));
    const end = ended('a');
    await runner.add(jobOf('a'));
    expect(await end).toMatchObject({ kind: 'done' });
    await loading;
    expect(workers.loads.map((load) => load.modelId)).toEqual(['tiny']);
  });

  it('leaves a job whose model is not cached waiting, without blocking the next', async () => {
    const { runner, ended } = setUp();
    const end = ended('b');
    await runner.add({ ...jobOf('a'), modelId: 'gone' });
    await runner.add(jobOf('b'));
    expect(await end).toMatchObject({ kind: 'done' });
    expect(runner.jobs.map((job) => job.id)).toEqual(['a']);
  });
});
