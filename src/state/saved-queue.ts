/**
 * The queue as saved in IndexedDB. Reading it keeps every job it can: a job
 * that cannot be read is dropped alone, and a checkpoint that does not fit is
 * dropped from its job, each with a notice.
 */
import { loadRecord, saveRecord } from './persist.ts';
import { readJob, type QueuedJob } from './records.ts';

const QUEUE_KEY = 'queue';

export function saveQueue(jobs: readonly QueuedJob[]): Promise<void> {
  return saveRecord(QUEUE_KEY, jobs);
}

/** The saved jobs, and what the user should hear about them. */
export async function loadQueue(): Promise<{ jobs: QueuedJob[]; notices: string[] }> {
  const raw = await loadRecord(QUEUE_KEY);
  if (raw === undefined) return { jobs: [], notices: [] };
  const list = typeof raw === 'object' && raw !== null && 'value' in raw && Array.isArray(raw.value) ? raw.value : Array.isArray(raw) ? raw : undefined;
  if (!list) {
    await saveQueue([]);
    return { jobs: [], notices: ['The saved queue could not be read and was cleared.'] };
  }
  const jobs: QueuedJob[] = [];
  const notices: string[] = [];
  for (const entry of list) {
    const result = readJob(entry);
    if (!result.ok) {
      notices.push(`A queued job could not be read and was dropped (${result.reason}).`);
      continue;
    }
    jobs.push(result.value);
    if (result.checkpointDropped) notices.push(restartNotice(result.value, result.checkpointDropped));
  }
  const resumable = jobs.find((job) => job.checkpoint && !job.error);
  if (resumable?.checkpoint) notices.push(`Resuming the interrupted job at step ${resumable.checkpoint.step} of ${resumable.settings.steps}.`);
  return { jobs, notices };
}

/** What the user reads when a job's saved progress cannot be used. */
export function restartNotice(job: QueuedJob, reason: string): string {
  return `The saved progress of "${job.settings.prompt || '(empty prompt)'}" could not be used (${reason}); it starts again from step 0.`;
}
