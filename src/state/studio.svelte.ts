import { spawnEngine } from '../engine/client.ts';
import { Supervisor, type SupervisorEvent } from '../engine/supervisor.ts';
import { HearthError, InvalidSettingError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import type { BackendChoice, Checkpoint, EngineInfo, GeneratedImage, Job, ModelSource } from '../shared/protocol.ts';
import { randomSeed, validateSettings, type GenerationSettings } from '../shared/settings.ts';
import { builtInModel } from './models.ts';
import { deleteImage, loadGallery, loadState, saveImage, saveState } from './persist.ts';

/** A job waiting or running, with the newest checkpoint it reached. */
export interface QueuedJob extends Job {
  checkpoint?: Checkpoint;
}

/** One generated image as the gallery keeps it. */
export interface GalleryItem {
  id: string;
  jobId: string;
  modelId: string;
  settings: GenerationSettings;
  seed: number;
  width: number;
  height: number;
  png: Blob;
  createdAt: number;
}

export interface LiveProgress {
  jobId: string;
  step: number;
  steps: number;
  imageIndex: number;
  batchCount: number;
  preview?: { width: number; height: number; rgba: Uint8ClampedArray };
}

const SETTINGS_KEY = 'settings';
const BACKEND_KEY = 'backend';
const QUEUE_KEY = 'queue';

const FALLBACK_SETTINGS: GenerationSettings = {
  prompt: '',
  negativePrompt: '',
  seed: 42,
  steps: 4,
  width: 256,
  height: 256,
  guidance: 3,
  scheduler: 'euler',
  batchCount: 1,
};

function describeEvent(event: SupervisorEvent): string | undefined {
  if (event.kind === 'recovering') return `${event.reason} Restarting the engine (attempt ${event.attempt})…`;
  if (event.kind === 'recovered') {
    const seconds = (event.ms / 1000).toFixed(1);
    return `${event.reason} Reloaded in ${seconds} s and resumed at step ${event.resumedAtStep} of ${event.steps}.`;
  }
  return undefined;
}

/** The studio's state and the job runner; components only read it and call its methods. */
class Studio {
  settings = $state<GenerationSettings>({ ...FALLBACK_SETTINGS });
  backend = $state<BackendChoice>('auto');
  model = $state.raw<ModelSource | undefined>();
  engineInfo = $state.raw<EngineInfo | undefined>();
  status = $state('Starting…');
  progress = $state.raw<LiveProgress | undefined>();
  queue = $state.raw<QueuedJob[]>([]);
  gallery = $state.raw<GalleryItem[]>([]);
  notice = $state<string | undefined>();
  error = $state.raw<{ message: string; field?: string } | undefined>();
  lastTimings = $state.raw<{ totalMs: number; sessionRunMs: number; unetRuns: number } | undefined>();

  #controller = $state.raw<AbortController | undefined>();
  #pumping = false;
  #supervisor = new Supervisor({
    spawn: spawnEngine,
    backend: () => this.backend,
    onEvent: (event) => {
      if (event.kind === 'ready') this.engineInfo = event.info;
      const text = describeEvent(event);
      if (text) this.notice = text;
    },
  });

  get running(): boolean {
    return this.#controller !== undefined;
  }

  /** Restores saved state, loads the model in the background, resumes the queue. */
  async start(): Promise<void> {
    const [settings, backend, queue, gallery] = await Promise.all([
      loadState<GenerationSettings>(SETTINGS_KEY),
      loadState<BackendChoice>(BACKEND_KEY),
      loadState<QueuedJob[]>(QUEUE_KEY),
      loadGallery<GalleryItem>(),
    ]);
    if (backend) this.backend = backend;
    this.queue = queue ?? [];
    this.gallery = gallery.map(([, item]) => item).sort((a, b) => b.createdAt - a.createdAt);
    try {
      this.model = await builtInModel();
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.settings = settings ?? { ...FALLBACK_SETTINGS, ...this.model.manifest.defaults };
    await this.#prepare();
    void this.#pump();
  }

  /** Persists the form; called on every edit. */
  saveSettings(): void {
    void saveState(SETTINGS_KEY, $state.snapshot(this.settings));
  }

  async setBackend(choice: BackendChoice): Promise<void> {
    this.backend = choice;
    await saveState(BACKEND_KEY, choice);
    if (this.running) return;
    this.#supervisor.restart();
    this.engineInfo = undefined;
    await this.#prepare();
  }

  randomizeSeed(): void {
    this.settings.seed = randomSeed();
    this.saveSettings();
  }

  /** Validates the form and queues a job; returns false when the form is invalid. */
  generate(): boolean {
    const model = this.model;
    if (!model) return false;
    const settings = $state.snapshot(this.settings);
    try {
      validateSettings(settings, model.manifest.sizes);
    } catch (error) {
      if (error instanceof InvalidSettingError) {
        this.error = { message: error.message, field: error.field };
        return false;
      }
      throw error;
    }
    this.error = undefined;
    const job: QueuedJob = { id: crypto.randomUUID(), modelId: model.manifest.id, settings, createdAt: Date.now() };
    this.queue = [...this.queue, job];
    void saveState(QUEUE_KEY, this.queue).then(() => this.#pump());
    return true;
  }

  cancel(): void {
    this.#controller?.abort();
  }

  async deleteImage(id: string): Promise<void> {
    await deleteImage(id);
    this.gallery = this.gallery.filter((item) => item.id !== id);
  }

  async #prepare(): Promise<void> {
    if (!this.model) return;
    this.status = 'Loading model…';
    try {
      this.engineInfo = await this.#supervisor.prepare(this.model);
      this.status = 'Ready';
    } catch (error) {
      this.#fail(error);
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping || !this.model) return;
    this.#pumping = true;
    try {
      while (this.queue.length > 0) await this.#runJob(this.queue[0], this.model);
    } finally {
      this.#pumping = false;
    }
  }

  async #runJob(job: QueuedJob, model: ModelSource): Promise<void> {
    this.#controller = new AbortController();
    this.status = 'Generating';
    this.progress = { jobId: job.id, step: job.checkpoint?.step ?? 0, steps: job.settings.steps, imageIndex: 0, batchCount: job.settings.batchCount };
    try {
      const result = await this.#supervisor.run(job, model, (progress) => this.#onProgress(job, progress), {
        signal: this.#controller.signal,
        resume: job.checkpoint,
      });
      for (const image of result.images) await this.#addToGallery(job, image);
      this.lastTimings = result.timings;
      this.status = 'Ready';
    } catch (error) {
      if (error instanceof HearthError && error.code === 'cancelled') this.status = 'Ready';
      else this.#fail(error);
    } finally {
      this.#controller = undefined;
      this.progress = undefined;
      this.queue = this.queue.filter((queued) => queued.id !== job.id);
      await saveState(QUEUE_KEY, this.queue);
    }
  }

  #onProgress(job: QueuedJob, progress: Progress): void {
    if (progress.phase === 'load') this.status = `Loading model (${progress.index}/${progress.count})…`;
    if (progress.phase !== 'denoise') return;
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
    void saveState(QUEUE_KEY, this.queue);
  }

  async #addToGallery(job: Job, image: GeneratedImage): Promise<void> {
    const item: GalleryItem = {
      id: `${job.id}-${image.imageIndex}`,
      jobId: job.id,
      modelId: job.modelId,
      settings: job.settings,
      seed: image.seed,
      width: image.width,
      height: image.height,
      png: image.png,
      createdAt: Date.now(),
    };
    await saveImage(item.id, item);
    this.gallery = [item, ...this.gallery];
  }

  #fail(error: unknown): void {
    this.status = 'Error';
    this.error = { message: error instanceof Error ? error.message : String(error) };
  }
}

export const studio = new Studio();
