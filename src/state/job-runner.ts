/**
 * The queue and its runner: runs queued jobs one at a time through the
 * supervisor and never loses one. A job leaves the queue only when its images
 * are saved, or when the user cancels or removes it; a failed job stays with
 * its error until Retry or Remove. Pure: the supervisor, the gallery and the
 * saved queue are injected, and the UI learns everything from events.
 *
 * A step's checkpoint is saved apart from the queue and without waiting
 * (`LatestWrites`): rewriting the whole queue, latents and all, at every step
 * cost the main thread far more (docs/checkpoints.md).
 */
import type { Supervisor } from '../engine/supervisor.ts';
import type { Checkpoint } from '../shared/checkpoint.ts';
import { CheckpointError, HearthError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import type { RunTimings } from '../shared/engine-api.ts';
import type { GeneratedImage, Job } from '../shared/job.ts';
import type { ModelSource } from '../shared/model.ts';
import { LatestWrites } from './latest-writes.ts';
import type { QueuedJob } from './records.ts';

/** What happened to the queue, for the UI. */
export type RunnerEvent =
  | { kind: 'queue'; jobs: readonly QueuedJob[] }
  | { kind: 'start'; job: QueuedJob }
  | { kind: 'progress'; job: QueuedJob; progress: Progress }
  /** The job's checkpoint did not fit; it runs again from step 0. */
  | { kind: 'restart'; job: QueuedJob; reason: string }
  | { kind: 'done'; job: QueuedJob; timings: RunTimings }
  | { kind: 'cancelled'; job: QueuedJob }
  /** `stalls`: the engine itself failed, so no job runs until a retry. */
  | { kind: 'failed'; job: QueuedJob; error: unknown; stalls: boolean };

export interface JobRunnerOptions {
  engine: Pick<Supervisor, 'run' | 'restart'>;
  /** Where a job's model is now; `undefined` while it is not cached ("model missing"). */
  sourceFor(modelId: string): ModelSource | undefined;
  saveImage(job: Job, image: GeneratedImage): Promise<void>;
  /** Saves the jobs; their checkpoints are saved by `saveCheckpoint`. */
  saveQueue(jobs: readonly QueuedJob[]): Promise<void>;
  /** Saves a job's newest checkpoint in place of the one before; `undefined` deletes it. */
  saveCheckpoint(jobId: string, checkpoint: Checkpoint | undefined): Promise<void>;
  onEvent(event: RunnerEvent): void;
}

/** Failures of the engine rather than of the job: the next job would meet them too. */
const stallsQueue = (error: unknown) => error instanceof HearthError && (error.code === 'engine-failed' || error.code === 'gpu-memory');
const isCancel = (error: unknown) => error instanceof HearthError && error.code === 'cancelled';
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class JobRunner {
  #options: JobRunnerOptions;
  #jobs: readonly QueuedJob[] = [];
  #running: { id: string; controller: AbortController } | undefined;
  /** The job whose engine failure stopped the queue; its Retry starts a fresh engine. */
  #stalledBy: string | undefined;
  #pumping = false;
  #checkpoints: LatestWrites<string, Checkpoint>;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    // A checkpoint not saved costs a reload the steps since the one before; a full disk fails the image's save too, which the user sees.
    this.#checkpoints = new LatestWrites((jobId, checkpoint) => options.saveCheckpoint(jobId, checkpoint), () => {});
  }

  get jobs(): readonly QueuedJob[] {
    return this.#jobs;
  }

  /** The id of the job running now. */
  get runningId(): string | undefined {
    return this.#running?.id;
  }

  /** Resolves once every checkpoint handed over so far is saved. */
  checkpointsSaved(): Promise<void> {
    return this.#checkpoints.settled();
  }

  /** Takes over jobs restored from an earlier session; `pump()` runs them. */
  restore(jobs: readonly QueuedJob[]): void {
    this.#jobs = jobs;
    this.#options.onEvent({ kind: 'queue', jobs });
  }

  /** Queues a job (saved before it runs) and runs the queue. */
  async add(job: QueuedJob): Promise<void> {
    await this.#set([...this.#jobs, job]);
    void this.pump();
  }

  /** Removes a waiting or failed job; the running one is cancelled instead. */
  async remove(id: string): Promise<void> {
    if (this.#running?.id === id) return this.cancel();
    if (this.#stalledBy === id) this.#stalledBy = undefined;
    await this.#set(this.#jobs.filter((job) => job.id !== id));
    void this.pump();
  }

  /** Stops the running job after the step in flight; it leaves the queue. */
  cancel(): void {
    this.#running?.controller.abort();
  }

  /** Runs a failed job again, from its newest checkpoint; after an engine failure on a fresh engine. */
  async retry(id: string): Promise<void> {
    if (this.#stalledBy === id) {
      this.#stalledBy = undefined;
      this.#options.engine.restart();
    }
    await this.#update(id, ({ error: _, ...job }) => job);
    void this.pump();
  }

  /**
   * Runs queued jobs in order. Jobs that failed wait for Retry, and a job whose
   * model is not cached waits ("model missing"), neither blocking the rest.
   */
  async pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const next = this.#stalledBy ? undefined : this.#jobs.find((job) => !job.error && this.#options.sourceFor(job.modelId));
        if (!next) break;
        await this.#run(next, this.#options.sourceFor(next.modelId)!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #run(queued: QueuedJob, source: ModelSource): Promise<void> {
    const { onEvent, engine } = this.#options;
    const controller = new AbortController();
    this.#running = { id: queued.id, controller };
    // The picture goes with every run, so a job resumed after a crash or a reload starts from the same one.
    const job: Job = { id: queued.id, modelId: queued.modelId, settings: queued.settings, createdAt: queued.createdAt, ...(queued.input && { input: queued.input }) };
    const saves: Promise<void>[] = [];
    const onProgress = (progress: Progress) => {
      if (progress.phase === 'image') saves.push(this.#options.saveImage(job, progress.image));
      if (progress.phase === 'denoise') this.#checkpoint(job.id, progress.checkpoint);
      onEvent({ kind: 'progress', job: this.#find(job.id) ?? queued, progress });
    };
    onEvent({ kind: 'start', job: queued });
    let outcome: RunnerEvent;
    try {
      const run = (resume: Checkpoint | undefined) => engine.run(job, source, onProgress, { signal: controller.signal, resume });
      const result = await run(queued.checkpoint).catch(async (error: unknown) => {
        if (!(error instanceof CheckpointError)) throw error;
        onEvent({ kind: 'restart', job: queued, reason: error.reason });
        this.#checkpoint(job.id, undefined);
        return run(undefined);
      });
      // Done only once its images are saved: an update may reload the page the moment the queue is idle.
      await Promise.all(saves);
      await this.#set(this.#jobs.filter((each) => each.id !== job.id));
      outcome = { kind: 'done', job: queued, timings: result.timings };
    } catch (error) {
      await Promise.allSettled(saves);
      if (isCancel(error)) {
        await this.#set(this.#jobs.filter((each) => each.id !== job.id));
        outcome = { kind: 'cancelled', job: queued };
      } else {
        const stalls = stallsQueue(error);
        if (stalls) this.#stalledBy = job.id;
        // Kept with its checkpoint: Retry resumes it, after a change of memory settings where the GPU was full.
        await this.#update(job.id, (current) => ({ ...current, error: messageOf(error) }));
        outcome = { kind: 'failed', job: this.#find(job.id) ?? queued, error, stalls };
      }
    } finally {
      this.#running = undefined;
    }
    onEvent(outcome);
  }

  /**
   * Keeps a job's newest checkpoint with it in memory, for Retry and for the
   * queue shown after a failure, and hands it to be saved; the queue itself is
   * neither saved nor shown anew.
   */
  #checkpoint(id: string, checkpoint: Checkpoint | undefined): void {
    this.#jobs = this.#jobs.map((job) => (job.id !== id ? job : checkpoint ? { ...job, checkpoint } : withoutCheckpoint(job)));
    this.#checkpoints.put(id, checkpoint);
  }

  #find(id: string): QueuedJob | undefined {
    return this.#jobs.find((job) => job.id === id);
  }

  #update(id: string, change: (job: QueuedJob) => QueuedJob): Promise<void> {
    return this.#set(this.#jobs.map((job) => (job.id === id ? change(job) : job)));
  }

  async #set(jobs: readonly QueuedJob[]): Promise<void> {
    const gone = this.#jobs.filter((job) => !jobs.some((kept) => kept.id === job.id));
    this.#jobs = jobs;
    this.#options.onEvent({ kind: 'queue', jobs });
    await this.#options.saveQueue(jobs);
    // Only once the saved queue no longer holds them: a reload in between would run such a job again from step 0. A checkpoint left behind is deleted when the queue is next read.
    for (const job of gone) this.#checkpoints.put(job.id, undefined);
  }
}

function withoutCheckpoint({ checkpoint: _, ...job }: QueuedJob): QueuedJob {
  return job;
}
