import { untrack } from 'svelte';
import { spawnEngine } from '../engine/client.ts';
import { Supervisor, type SupervisorEvent } from '../engine/supervisor.ts';
import { InvalidSettingError } from '../shared/errors.ts';
import type { BackendChoice, EngineInfo } from '../shared/backend.ts';
import type { EngineMemory, LoadedModelFacts } from '../shared/engine-api.ts';
import type { ModelSource } from '../shared/model.ts';
import { validateImageInput } from '../shared/image-input.ts';
import { validateSettings, type MemoryOptions } from '../shared/settings.ts';
import { diagnostics } from './diagnostics.svelte.ts';
import { acquireEngineLock } from './engine-lock.ts';
import { gallery } from './gallery.svelte.ts';
import { imageInputSupport, type ImageInputSupport } from './image-input-support.ts';
import { inputImage } from './input-image.svelte.ts';
import { JobsState } from './jobs.svelte.ts';
import { models } from './models.svelte.ts';
import { notices } from './notices.svelte.ts';
import { settings } from './settings.svelte.ts';
import { supervisorNotice } from './status-text.ts';

/** The engine and the model it runs: start-up, model selection, backend and memory switches; the queue is `jobs`. */
class Studio {
  model = $state.raw<ModelSource | undefined>();
  engineInfo = $state.raw<EngineInfo | undefined>();
  status = $state('Starting…');
  /** False while another tab runs the engine: this tab then neither runs nor saves jobs. */
  owner = $state(false);
  /** True once the saved settings, gallery and queue are in place: the form shows nothing before. */
  restored = $state(false);
  error = $state.raw<{ message: string; field?: string } | undefined>();
  /** What the engine holds, as of the last load, job or `refreshMemory()`. */
  engineMemory = $state.raw<EngineMemory | undefined>();

  /** What loading found out about each model the engine loaded. */
  #facts = $state.raw<Record<string, LoadedModelFacts>>({});
  #supervisor = new Supervisor({
    spawn: spawnEngine,
    backend: () => settings.backend,
    memory: () => settings.memory,
    previewEvery: () => settings.previewEvery,
    // The e2e build detects hangs sooner so the suite stays short; the rule itself is the same.
    stallFloorMs: import.meta.env.MODE === 'e2e' ? 5_000 : 20_000,
    loadFloorMs: import.meta.env.MODE === 'e2e' ? 20_000 : 60_000,
    onEvent: (event) => this.#onSupervisorEvent(event),
  });

  readonly jobs = new JobsState(this.#supervisor, {
    status: (text) => (this.status = text),
    failed: (error) => this.#fail(error),
    memoryChanged: () => void this.refreshMemory(),
  });

  /** What loading the current model found out, once the engine has loaded it. */
  get modelFacts(): LoadedModelFacts | undefined {
    return this.model ? this.#facts[this.model.manifest.id] : undefined;
  }

  get running(): boolean {
    return this.jobs.running;
  }

  /** Whether the current model can start from a picture, and what the form must say about it. */
  get imageInputSupport(): ImageInputSupport {
    return imageInputSupport(this.model?.manifest, this.modelFacts?.imageInput);
  }

  /** Restores saved state, waits for the engine lock, loads the model, resumes the queue. */
  async start(): Promise<void> {
    try {
      // The last model used when it is still cached, else the built-in one; the engine loads it below, in the background.
      this.model = await models.start();
    } catch (error) {
      this.#fail(error);
      // Nothing more to restore: show the form, disabled, with the error.
      this.restored = true;
      return;
    }
    await diagnostics.restore();
    for (const message of [await settings.restore(this.model.manifest.defaults), await gallery.restore()]) {
      if (message) notices.add(message);
    }
    await inputImage.restore(settings.form.width, settings.form.height);
    this.restored = true;
    await acquireEngineLock(() => (this.status = 'Waiting: Hearth is running in another tab'));
    // Read the queue only now: the tab that held the lock may have left a job in flight.
    await this.jobs.restore();
    this.owner = true;
    await this.#prepare();
    // Also whenever the stored models change: a job waiting as "model missing" runs once a download brings its model back.
    $effect.root(() => {
      $effect(() => {
        void models.stored;
        untrack(() => void this.jobs.pump());
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
      const info = await this.#supervisor.prepare(source, (progress) => models.recordLoad(progress));
      // A model chosen meanwhile is the one shown, remembered and configured; its own call says how it went.
      if (this.model !== source) return;
      this.engineInfo = info;
      this.status = 'Ready';
      this.error = undefined;
      void this.refreshMemory();
      models.remember(modelId);
      settings.apply(source.manifest.defaults);
      // Jobs that waited for this model (downloaded again) can run now.
      void this.jobs.pump();
    } catch (error) {
      if (this.model !== source) return;
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
    const support = this.imageInputSupport;
    const input = support.ok ? inputImage.forJob() : undefined;
    try {
      validateSettings(values, model.manifest.sizes);
      if (input) validateImageInput(input, values.steps, values.width, values.height);
    } catch (error) {
      if (error instanceof InvalidSettingError) {
        this.error = { message: error.message, field: error.field };
        return false;
      }
      throw error;
    }
    this.error = undefined;
    void this.jobs.add({ id: crypto.randomUUID(), modelId: model.manifest.id, settings: values, createdAt: Date.now(), ...(input && { input }) });
    return true;
  }

  /** Runs a failed job again; the form's error goes with it. */
  async retry(id: string): Promise<void> {
    this.error = undefined;
    await this.jobs.retry(id);
  }

  async #prepare(): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.status = 'Loading model…';
    try {
      const info = await this.#supervisor.prepare(model, (progress) => models.recordLoad(progress));
      if (this.model !== model) return;
      this.engineInfo = info;
      this.status = 'Ready';
      void this.refreshMemory();
    } catch (error) {
      if (this.model === model) this.#fail(error);
    }
  }

  #onSupervisorEvent(event: SupervisorEvent): void {
    if (event.kind === 'recovered') this.jobs.recovery.recovered(event);
    if (event.kind === 'ready') {
      this.engineInfo = event.info;
      this.#facts = { ...this.#facts, [event.modelId]: event.facts };
      diagnostics.record({ kind: 'start', at: Date.now(), modelId: event.modelId, backend: event.info.backend, ...event.startup });
      if (event.info.backend === 'wasm' && settings.backend !== 'wasm') {
        notices.add(`WebGPU is unavailable: ${event.info.fallbackReason} Hearth runs on the CPU (wasm) instead; restarting the browser brings WebGPU back.`);
      }
    }
    const text = supervisorNotice(event);
    if (text) notices.add(text);
  }

  #fail(error: unknown): void {
    this.status = 'Error';
    this.error = { message: error instanceof Error ? error.message : String(error) };
    diagnostics.record({ kind: 'error', at: Date.now(), message: this.error.message });
  }
}

export const studio = new Studio();
