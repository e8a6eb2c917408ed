/**
 * The queue as saved in IndexedDB: the jobs in one record, each job's newest
 * checkpoint in a record of its own, so a step rewrites only its checkpoint.
 * Reading it keeps every job it can: a job that cannot be read is dropped
 * alone, and a checkpoint that does not fit is dropped from its job, each with
 * a notice.
 */
import type { Checkpoint } from '../shared/checkpoint.ts';
import { deleteRecord, loadRecord, recordKeys, saveRecord } from './persist.ts';
import { readJob, unwrap, type QueuedJob } from './records.ts';

const QUEUE_KEY = 'queue';
const CHECKPOINT_PREFIX = 'checkpoint:';
const checkpointKey = (jobId: string) => CHECKPOINT_PREFIX + jobId;

export function saveQueue(jobs: readonly QueuedJob[]): Promise<void> {
  return saveRecord(
    QUEUE_KEY,
    jobs.map(({ checkpoint: _, ...job }) => job),
  );
}

/** Saves a job's newest checkpoint over the one before; `undefined` deletes it. */
export function saveCheckpoint(jobId: string, checkpoint: Checkpoint | undefined): Promise<void> {
  return checkpoint ? saveRecord(checkpointKey(jobId), checkpoint) : deleteRecord(checkpointKey(jobId));
}

/** The saved jobs, and what the user should hear about them. */
export async function loadQueue(): Promise<{ jobs: QueuedJob[]; notices: string[] }> {
  const raw = await loadRecord(QUEUE_KEY);
  if (raw === undefined) return { jobs: [], notices: [] };
  const list = typeof raw === 'object' && raw !== null && 'value' in raw && Array.isArray(raw.value) ? raw.value : Array.isArray(raw) ? raw : undefined;
  if (!list) {
    await saveQueue([]);
    await forgetCheckpoints([]);
    return { jobs: [], notices: ['The saved queue could not be read and was cleared.'] };
  }
  const jobs: QueuedJob[] = [];
  const notices: string[] = [];
  for (const entry of list) {
    const result = readJob(await withSavedCheckpoint(entry));
    if (!result.ok) {
      notices.push(`A queued job could not be read and was dropped (${result.reason}).`);
      continue;
    }
    jobs.push(result.value);
    if (result.checkpointDropped) notices.push(restartNotice(result.value, result.checkpointDropped));
  }
  await forgetCheckpoints(jobs);
  const resumable = jobs.find((job) => job.checkpoint && !job.error);
  if (resumable?.checkpoint) notices.push(`Resuming the interrupted job at step ${resumable.checkpoint.step} of ${resumable.settings.steps}.`);
  return { jobs, notices };
}

/** A saved job with its checkpoint record, which is newer than a checkpoint inside the job (where versions before kept it). */
async function withSavedCheckpoint(entry: unknown): Promise<unknown> {
  if (typeof entry !== 'object' || entry === null || !('id' in entry) || typeof entry.id !== 'string') return entry;
  const saved = unwrap(await loadRecord(checkpointKey(entry.id)));
  return saved.ok && saved.value !== undefined ? { ...entry, checkpoint: saved.value } : entry;
}

/** Deletes the checkpoint records of jobs that are gone or whose checkpoint was dropped. */
async function forgetCheckpoints(jobs: readonly QueuedJob[]): Promise<void> {
  const kept = new Set(jobs.filter((job) => job.checkpoint).map((job) => checkpointKey(job.id)));
  for (const key of await recordKeys()) {
    if (typeof key === 'string' && key.startsWith(CHECKPOINT_PREFIX) && !kept.has(key)) await deleteRecord(key);
  }
}

/** What the user reads when a job's saved progress cannot be used. */
export function restartNotice(job: QueuedJob, reason: string): string {
  return `The saved progress of "${job.settings.prompt || '(empty prompt)'}" could not be used (${reason}); it starts again from step 0.`;
}
