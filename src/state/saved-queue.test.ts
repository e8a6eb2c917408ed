import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { CURRENT_BUILD, MT_WORDS, type Checkpoint } from '../shared/checkpoint.ts';
import { DEFAULT_SETTINGS } from '../shared/settings.ts';
import { deleteRecord, loadRecord, recordKeys, saveRecord } from './persist.ts';
import type { QueuedJob } from './records.ts';
import { loadQueue, saveCheckpoint, saveQueue } from './saved-queue.ts';

const jobOf = (id: string): QueuedJob => ({ id, modelId: 'tiny', settings: { ...DEFAULT_SETTINGS, prompt: id, steps: 4, width: 64, height: 64, batchCount: 1 }, createdAt: 0 });

function checkpointOf(jobId: string, step: number): Checkpoint {
  return {
    build: CURRENT_BUILD,
    jobId,
    imageIndex: 0,
    step,
    latents: new Float32Array(4 * 8 * 8).fill(step),
    scheduler: { className: 'EulerDiscreteScheduler', numInferenceSteps: 4, stepIndex: step, beginIndex: null },
    generator: { mt: new Uint32Array(MT_WORDS), index: MT_WORDS, nextNormal: null },
  } as Checkpoint;
}

describe('saved queue', () => {
  beforeEach(async () => {
    for (const key of await recordKeys()) await deleteRecord(String(key));
  });

  it('saves the jobs without their checkpoints, each newest checkpoint apart, and reads them back together', async () => {
    await saveQueue([{ ...jobOf('a'), checkpoint: checkpointOf('a', 1) }, jobOf('b')]);
    await saveCheckpoint('a', checkpointOf('a', 3));
    expect(await loadRecord('queue')).toMatchObject({ value: [expect.not.objectContaining({ checkpoint: expect.anything() }), { id: 'b' }] });

    const { jobs, notices } = await loadQueue();
    expect(jobs.map((job) => [job.id, job.checkpoint?.step])).toEqual([
      ['a', 3],
      ['b', undefined],
    ]);
    expect(jobs[0].checkpoint?.latents).toEqual(new Float32Array(256).fill(3));
    expect(notices).toEqual(['Resuming the interrupted job at step 3 of 4.']);
  });

  it('reads a checkpoint saved inside its job, as versions before saved it', async () => {
    await saveRecord('queue', [{ ...jobOf('a'), checkpoint: checkpointOf('a', 2) }]);
    expect((await loadQueue()).jobs[0].checkpoint?.step).toBe(2);
  });

  it('forgets the checkpoints of jobs no longer queued and of a deleted one', async () => {
    await saveQueue([jobOf('a'), jobOf('b')]);
    await saveCheckpoint('a', checkpointOf('a', 2));
    await saveCheckpoint('b', checkpointOf('b', 2));
    await saveCheckpoint('gone', checkpointOf('gone', 1));
    await saveCheckpoint('b', undefined);
    const { jobs } = await loadQueue();
    expect(jobs.map((job) => job.checkpoint?.step)).toEqual([2, undefined]);
    expect((await recordKeys()).sort()).toEqual(['checkpoint:a', 'queue']);
  });
});
