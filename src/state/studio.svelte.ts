import { untrack } from 'svelte';
import { spawnEngine } from '../engine/client.ts';
import { Supervisor, type SupervisorEvent } from '../engine/supervisor.ts';
import { HearthError, InvalidSettingError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import { networkLabel } from '../shared/networks.ts';
import type { BackendChoice, EngineInfo } from '../shared/backend.ts';
import type { EngineMemory, LoadedModelFacts } from '../shared/engine-api.ts';
import type { ModelSource } from '../shared/model.ts';
import { validateSettings, type MemoryOptions } from '../shared/settings.ts';
import { diagnostics } from './diagnostics.svelte.ts';
import { gallery } from './gallery.svelte.ts';
import { models } from './models.svelte.ts';
import { loadRecord, saveRecord } from './persist.ts';
import { readJob, type QueuedJob } from './records.ts';
import type { JobTimings } from './report.ts';
import { settings } from './settings.svelte.ts';

export interface LiveProgress {
  jobId: string;
  step: number;
  steps: number;
  imageIndex: number;
  batchCount: number;
  preview?: { width: number; height: number; rgba: Uint8ClampedArray };
}

const QUEUE_KEY = 'queue';
const ENGINE_LOCK = 'hearth-engine';

function describeEvent(event: SupervisorEvent): string | undefined {
  if (event.kind === 'recovering') return `${event.reason} Restarting the engine (attempt ${event.attempt})…`;
  if (event.kind === 'recovered') {
    const seconds = (event.ms / 1000).toFixed(1);
    return `${event.reason} Reloaded in ${seconds} s and resumed at step ${event.resumedAtStep} of ${event.steps}.`;
  }
  return undefined;
}

/** Holds the engine lock until the tab closes; resolves once this tab has it. */
function acquireEngineLock(onWaiting: () => void): Promise<void> {
  return new Promise((acquired) => {
    void navigator.locks.request(ENGINE_LOCK, { ifAvailable: true }, (lock) => {
      if (lock) {
        acquired();
        return new Promise(() => {});
      }
      onWaiting();
      void navigator.locks.request(ENGINE_LOCK, () => {
        acquired();
        return new Promise(() => {});
      });
      return undefined;
    });
  });
}

/** The engine, the queue and the job runner; components read it and call its methods. */
class Studio {
  model = $state.raw<ModelSource | undefined>();
  engineInfo = $state.raw<EngineInfo | undefined>();
  status = $state('Starting…');
  /** False while another tab runs the engine: this tab then neither runs nor saves jobs. */
  owner = $state(false);
  progress = $state.raw<LiveProgress | undefined>();
  queue = $state.raw<QueuedJob[]>([]);
  notices = $state.raw<string[]>([]);
  error = $state.raw<{ message: string; field?: string } | undefined>();
  lastTimings = $state.raw<JobTimings | undefined>();
  /** What the engine holds, as of the last load, job or `refreshMemory()`. */
  engineMemory = $state.raw<EngineMemory | undefined>();
  /** Set when the engine gave up or the GPU ran out of memory; the job waits in the queue until `retry()`. */
  stalled = $state(false);

  #controller = $state.raw<AbortController | undefined>();
  /** What loading found out about each model the engine loaded. */
  #facts = $state.raw<Record<string, LoadedModelFacts>>({});
  /** A recovery waiting for its first resumed step, which completes its diagnostics event. */
  #recovered: { event: Extract<SupervisorEvent, { kind: 'recovered' }>; at: number } | undefined;
  #pumping = false;
  #supervisor = new Supervisor({
    spawn: spawnEngine,
    backend: () => settings.backend,
    memory: () => settings.memory,
    // The e2e build detects hangs sooner so the suite stays short; the rule itself is the same.
    stallFloorMs: import.meta.env.MODE === 'e2e' ? 5_000 : 20_000,
    onEvent: (event) => {
      if (event.kind === 'recovered') this.#recovered = { event, at: performance.now() };
      if (event.kind === 'ready') {
        this.engineInfo = event.info;
        this.#facts = { ...this.#facts, [event.modelId]: event.facts };
        diagnostics.record({ kind: 'start', at: Date.now(), modelId: event.modelId, backend: event.info.backend, ...event.startup });
        if (event.info.backend === 'wasm' && settings.backend !== 'wasm') {
          this.notify(`WebGPU is unavailable: ${event.info.fallbackReason} Hearth runs on the CPU (wasm) instead; restarting the browser brings WebGPU back.`);
        }
      }
      const text = describeEvent(event);
      if (text) this.notify(text);
    },
  });

  /** What loading the current model found out, once the engine has loaded it. */
  get modelFacts(): LoadedModelFacts | undefined {
    return this.model ? this.#facts[this.model.manifest.id] : undefined;
  }

  get running(): boolean {
    return this.#controller !== undefined;
  }

  notify(message: string): void {
    this.notices = [...this.notices.slice(-4), message];
  }

  /** Restores saved state, waits for the engine lock, loads the model, resumes the queue. */
  async start(): Promise<void> {
    try {
      // The last model used when it is still cached, else the built-in one; the engine loads it below, in the background.
      this.model = await models.start();
    } catch (error) {
      this.#fail(error);
      return;
    }
    await diagnostics.restore();
    for (const message of [await settings.restore(this.model.manifest.defaults), await gallery.restore()]) {
      if (message) this.notify(message);
    }
    await acquireEngineLock(() => (this.status = 'Waiting: Hearth is running in another tab'));
    this.owner = true;
    // Read the queue only now: the tab that held the lock may have left a job in flight.
    await this.#restoreQueue();
    await this.#prepare();
    // Also whenever the stored models change: a job waiting as "model missing" runs once a download brings its model back.
    $effect.root(() => {
      $effect(() => {
        void models.stored;
        untrack(() => void this.#pump());
      });
    });
  }

  /** Applies memory options now when idle, else from the next job on (the model is loaded again for it). */
  async setMemory(values: Partial<MemoryOptions>): Promise<void> {
    settings.setMemory(values);
    if (this.running || !this.owner) return;
    await this.#prepare();
  }

  async refreshMemory(): Promise<void> {
    try {
      this.engineMemory = await this.#supervisor.memory();
    } catch {
      // A worker that dies while asked is the supervisor's to restart; the panel keeps its last answer.
    }
  }

  async setBackend(choice: BackendChoice): Promise<void> {
    settings.setBackend(choice);
    if (this.running || !this.owner) return;
    this.#supervisor.restart();
    this.engineInfo = undefined;
    await this.#prepare();
  }

  /**
   * Switches to a cached or the built-in model and remembers it for the next
   * start. When its sessions cannot be created, the previous model is loaded
   * again and the error is shown beside the model and in the form.
   */
  async selectModel(modelId: string): Promise<void> {
    const source = models.sourceFor(modelId);
    const previous = this.model;
    if (!source || this.running || !this.owner) return;
    this.model = source;
    this.status = 'Loading model…';
    try {
      this.engineInfo = await this.#supervisor.prepare(source, (progress) => models.recordLoad(progress));
      this.status = 'Ready';
      this.error = undefined;
      void this.refreshMemory();
      models.remember(modelId);
      settings.apply(source.manifest.defaults);
      // Jobs that waited for this model (downloaded again) can run now.
      void this.#pump();
    } catch (error) {
      models.recordError(modelId, error);
      this.model = previous;
      await this.#prepare();
      this.error = { message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Validates the form and queues a job; returns false when the form is invalid. */
  generate(): boolean {
    const model = this.model;
    if (!model || !this.owner) return false;
    const values = $state.snapshot(settings.form);
    try {
      validateSettings(values, model.manifest.sizes);
    } catch (error) {
      if (error instanceof InvalidSettingError) {
        this.error = { message: error.message, field: error.field };
        return false;
      }
      throw error;
    }
    this.error = undefined;
    const job: QueuedJob = { id: crypto.randomUUID(), modelId: model.manifest.id, settings: values, createdAt: Date.now() };
    this.queue = [...this.queue, job];
    void this.#saveQueue().then(() => this.#pump());
    return true;
  }

  cancel(): void {
    this.#controller?.abort();
  }

  /** Removes a waiting job; the running one is cancelled instead. */
  async removeJob(id: string): Promise<void> {
    if (this.progress?.jobId === id) return this.cancel();
    this.queue = this.queue.filter((job) => job.id !== id);
    await this.#saveQueue();
  }

  /** After the engine gave up: start it afresh and run the waiting jobs. */
  async retry(): Promise<void> {
    this.stalled = false;
    this.error = undefined;
    this.#supervisor.restart();
    await this.#prepare();
    void this.#pump();
  }

  async #restoreQueue(): Promise<void> {
    const raw = await loadRecord(QUEUE_KEY);
    if (raw === undefined) return;
    const list = typeof raw === 'object' && raw !== null && 'value' in raw && Array.isArray(raw.value) ? raw.value : Array.isArray(raw) ? raw : undefined;
    if (!list) {
      this.notify('The saved queue could not be read and was cleared.');
      await this.#saveQueue();
      return;
    }
    const jobs: QueuedJob[] = [];
    for (const entry of list) {
      const result = readJob(entry);
      if (result.ok) jobs.push(result.value);
      if (result.ok && result.checkpointDropped) this.notify(`The saved progress of "${result.value.settings.prompt}" could not be used (${result.checkpointDropped}); it starts again from step 0.`);
      if (!result.ok) this.notify(`A queued job could not be read and was dropped (${result.reason}).`);
    }
    this.queue = jobs;
    const resumable = jobs.find((job) => job.checkpoint);
    if (resumable) this.notify(`Resuming the interrupted job at step ${resumable.checkpoint!.step} of ${resumable.settings.steps}.`);
  }

  #saveQueue(): Promise<void> {
    return saveRecord(QUEUE_KEY, this.queue);
  }

  async #prepare(): Promise<void> {
    if (!this.model) return;
    this.status = 'Loading model…';
    try {
      this.engineInfo = await this.#supervisor.prepare(this.model, (progress) => models.recordLoad(progress));
      this.status = 'Ready';
      void this.refreshMemory();
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Runs queued jobs in order, each on its own model. A job whose model is no
   * longer cached waits in the queue ("model missing") instead of failing.
   */
  async #pump(): Promise<void> {
    if (this.#pumping || !this.owner) return;
    this.#pumping = true;
    try {
      for (;;) {
        const next = this.stalled ? undefined : this.queue.find((job) => models.sourceFor(job.modelId));
        if (!next) break;
        await this.#runJob(next, models.sourceFor(next.modelId)!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Whether a queued job can run now, or waits for its model to be downloaded again. */
  modelMissing(job: QueuedJob): boolean {
    return models.sourceFor(job.modelId) === undefined;
  }

  async #runJob(job: QueuedJob, model: ModelSource): Promise<void> {
    this.#controller = new AbortController();
    this.status = 'Generating';
    this.progress = { jobId: job.id, step: job.checkpoint?.step ?? 0, steps: job.settings.steps, imageIndex: job.checkpoint?.imageIndex ?? 0, batchCount: job.settings.batchCount };
    const stepMs: number[] = [];
    const saves: Promise<void>[] = [];
    try {
      const run = () =>
        this.#supervisor.run(job, model, (progress) => this.#onProgress(job, progress, stepMs, saves), {
          signal: this.#controller!.signal,
          resume: job.checkpoint,
        });
      const result = await run().catch((error: unknown) => {
        if (!(error instanceof HearthError && error.code === 'checkpoint')) throw error;
        this.notify(`${error.message} "${job.settings.prompt}" starts again from step 0.`);
        job.checkpoint = undefined;
        return run();
      });
      this.lastTimings = { ...result.timings, stepMs };
      this.status = 'Ready';
    } catch (error) {
      if (error instanceof HearthError && (error.code === 'engine-failed' || error.code === 'gpu-memory')) {
        // Keep the job and its checkpoint: Retry resumes it, after a change of memory settings where the GPU was full.
        this.stalled = true;
        this.#fail(error);
        return;
      }
      if (error instanceof HearthError && error.code === 'cancelled') this.status = 'Ready';
      else this.#fail(error);
    } finally {
      // Not running until its images are saved: an update may reload the page the moment it is idle.
      await Promise.allSettled(saves);
      this.#controller = undefined;
      this.progress = undefined;
      void this.refreshMemory();
    }
    this.queue = this.queue.filter((queued) => queued.id !== job.id);
    await this.#saveQueue();
  }

  #onProgress(job: QueuedJob, progress: Progress, stepMs: number[], saves: Promise<void>[]): void {
    if (progress.phase === 'load') this.status = `Loading model (${progress.index}/${progress.count})…`;
    if (progress.phase === 'swap') {
      this.status = `Loading the ${networkLabel(progress.component)} (low-memory mode)…`;
      void this.refreshMemory();
    }
    models.recordLoad(progress);
    if (progress.phase === 'image') saves.push(gallery.add(job, progress.image));
    if (progress.phase !== 'denoise') return;
    stepMs.push(progress.stepMs);
    if (this.#recovered) {
      const { event, at } = this.#recovered;
      this.#recovered = undefined;
      const resumeMs = performance.now() - at;
      diagnostics.record({ kind: 'recovery', at: Date.now(), reason: event.reason, ...event.startup, resumeMs, totalMs: event.ms + resumeMs, resumedAtStep: event.resumedAtStep, steps: event.steps });
    }
    job.checkpoint = progress.checkpoint;
    this.status = 'Generating';
    this.progress = {
      jobId: job.id,
      step: progress.step,
      steps: progress.steps,
      imageIndex: progress.imageIndex,
      batchCount: job.settings.batchCount,
      preview: progress.preview,
    };
    void this.#saveQueue();
  }

  #fail(error: unknown): void {
    this.status = 'Error';
    this.error = { message: error instanceof Error ? error.message : String(error) };
    diagnostics.record({ kind: 'error', at: Date.now(), message: this.error.message });
  }
}

export const studio = new Studio();
