import type { Supervisor } from '../engine/supervisor.ts';
import type { Preview, Progress } from '../shared/progress.ts';
import { diagnostics } from './diagnostics.svelte.ts';
import { timeLeftMs } from './eta.ts';
import { gallery } from './gallery.svelte.ts';
import { JobRunner, type RunnerEvent } from './job-runner.ts';
import { models } from './models.svelte.ts';
import { notices } from './notices.svelte.ts';
import type { QueuedJob } from './records.ts';
import { RecoveryTimer } from './recovery-timer.ts';
import type { JobTimings } from './report.ts';
import { loadQueue, restartNotice, saveCheckpoint, saveQueue } from './saved-queue.ts';
import { progressStatus } from './status-text.ts';

/** The running job as the live view shows it. */
export interface LiveProgress {
  jobId: string;
  step: number;
  steps: number;
  imageIndex: number;
  batchCount: number;
  /** The image's size, at which the live view shows `frame` whatever its own resolution. */
  width: number;
  height: number;
  /** The newest preview or finished image, and which (`step-3`, `image-0`). */
  frame?: { picture: Preview; label: string };
  msLeft?: number;
}

/** What the studio hears from the queue: the status line, failures, and when what the engine holds changed. */
export interface JobsHooks {
  status(text: string): void;
  failed(error: unknown): void;
  memoryChanged(): void;
}

/** The queue as the UI shows it, mirroring a JobRunner. */
export class JobsState {
  queue = $state.raw<readonly QueuedJob[]>([]);
  progress = $state.raw<LiveProgress | undefined>();
  lastTimings = $state.raw<JobTimings | undefined>();
  runningId = $state<string | undefined>();
  /** Completes the diagnostics of a recovery at the first resumed step. */
  readonly recovery = new RecoveryTimer();
  #runner: JobRunner;
  #hooks: JobsHooks;
  #stepMs: number[] = [];

  constructor(supervisor: Supervisor, hooks: JobsHooks) {
    this.#hooks = hooks;
    this.#runner = new JobRunner({
      engine: supervisor,
      sourceFor: (modelId) => models.sourceFor(modelId),
      saveImage: (job, image) => gallery.add(job, image),
      saveQueue,
      saveCheckpoint,
      onEvent: (event) => this.#onEvent(event),
    });
  }

  get running(): boolean {
    return this.runningId !== undefined;
  }

  /** A job runs or can run now; failed jobs and jobs whose model is missing wait for the user. */
  get busy(): boolean {
    return this.running || this.queue.some((job) => !job.error && !this.modelMissing(job));
  }

  /** Takes over the jobs an earlier session left; `pump()` runs them. */
  async restore(): Promise<void> {
    const saved = await loadQueue();
    for (const message of saved.notices) notices.add(message);
    this.#runner.restore(saved.jobs);
  }

  add(job: QueuedJob): Promise<void> {
    return this.#runner.add(job);
  }

  /** Removes a waiting or failed job; the running one is cancelled instead. */
  remove(id: string): Promise<void> {
    return this.#runner.remove(id);
  }

  cancel(): void {
    this.#runner.cancel();
  }

  retry(id: string): Promise<void> {
    return this.#runner.retry(id);
  }

  pump(): Promise<void> {
    return this.#runner.pump();
  }

  /** Whether a queued job waits for its model to be downloaded again. */
  modelMissing(job: QueuedJob): boolean {
    return models.sourceFor(job.modelId) === undefined;
  }

  #onEvent(event: RunnerEvent): void {
    switch (event.kind) {
      case 'queue':
        this.queue = event.jobs;
        return;
      case 'start': {
        const { job } = event;
        this.runningId = job.id;
        this.#stepMs = [];
        this.#hooks.status('Generating');
        const { steps, batchCount, width, height } = job.settings;
        this.progress = { jobId: job.id, step: job.checkpoint?.step ?? 0, steps, imageIndex: job.checkpoint?.imageIndex ?? 0, batchCount, width, height };
        return;
      }
      case 'progress':
        return this.#onProgress(event.job, event.progress);
      case 'restart':
        notices.add(restartNotice(event.job, event.reason));
        return;
      case 'done':
        this.lastTimings = { ...event.timings, stepMs: this.#stepMs };
        this.#hooks.status('Ready');
        return this.#ended();
      case 'cancelled':
        this.#hooks.status('Ready');
        return this.#ended();
      case 'failed':
        this.#hooks.failed(event.error);
        return this.#ended();
    }
  }

  #ended(): void {
    this.runningId = undefined;
    this.progress = undefined;
    this.#hooks.memoryChanged();
  }

  #onProgress(job: QueuedJob, progress: Progress): void {
    models.recordLoad(progress);
    const status = progressStatus(progress);
    if (status) this.#hooks.status(status);
    if (progress.phase === 'swap') this.#hooks.memoryChanged();
    if (!this.progress || this.progress.jobId !== job.id) return;
    if (progress.phase === 'image') this.progress = { ...this.progress, frame: { picture: progress.pixels, label: `image-${progress.image.imageIndex}` }, msLeft: undefined };
    if (progress.phase === 'preview') this.progress = { ...this.progress, frame: { picture: progress.preview, label: `step-${progress.step}` } };
    if (progress.phase !== 'denoise') return;
    this.#stepMs.push(progress.stepMs);
    const recovery = this.recovery.stepped();
    if (recovery) diagnostics.record(recovery);
    const at = { step: progress.step, steps: progress.steps, imageIndex: progress.imageIndex, batchCount: job.settings.batchCount };
    // Until this step's preview arrives (or when the setting skips it), the last picture stays on screen.
    this.progress = { ...this.progress, ...at, msLeft: timeLeftMs(this.#stepMs, at) };
  }
}
