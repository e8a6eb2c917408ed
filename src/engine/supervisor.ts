import { proxy } from 'comlink';
import { CancelledError, EngineFailedError, HearthError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import type { BackendChoice, EngineInfo } from '../shared/backend.ts';
import type { Checkpoint } from '../shared/checkpoint.ts';
import type { EngineMemory, GenerateResult, LoadedModelFacts } from '../shared/engine-api.ts';
import type { Job } from '../shared/job.ts';
import type { ModelSource } from '../shared/model.ts';
import { DEFAULT_PREVIEW_EVERY, type MemoryOptions, type PreviewEvery } from '../shared/settings.ts';
import type { EngineHandle } from './client.ts';
import { loadAllowanceMs } from './load-allowance.ts';
import { processorOf, stepAllowanceMs, stepWork } from './step-allowance.ts';

/** What the supervisor tells the UI about the engine's life. */
export type SupervisorEvent =
  | { kind: 'ready'; info: EngineInfo; modelId: string; facts: LoadedModelFacts; startup: StartupTimings }
  | { kind: 'recovering'; reason: string; attempt: number; delayMs: number }
  | { kind: 'recovered'; reason: string; ms: number; backoffMs: number; startup: StartupTimings; resumedAtStep: number; steps: number };

/** What a (re)start cost: starting the worker and its device, then loading the model. */
export interface StartupTimings {
  workerStartMs: number;
  /** Reading the weights and creating the sessions. */
  loadMs: number;
  /** The part of `loadMs` spent reading the weights from storage. */
  readMs: number;
}

export interface SupervisorOptions {
  spawn: () => EngineHandle;
  backend: () => BackendChoice;
  memory: () => MemoryOptions;
  /** Read at the start of each job. */
  previewEvery?: () => PreviewEvery;
  onEvent: (event: SupervisorEvent) => void;
  /** Restarts in a row before giving up. */
  maxRestarts?: number;
  /** First back-off delay; it doubles on each further restart. */
  backoffMs?: number;
  /** How long the first step after a start may take on a GPU at SD 1.5's 512x512 work: it compiles shaders (scaled by src/engine/step-allowance.ts). */
  firstStepMs?: number;
  /** The least time without progress that counts as a hang, however fast earlier steps were. */
  stallFloorMs?: number;
  /** The least time a worker's start, or a network's load, may take before it counts as a hang (scaled by src/engine/load-allowance.ts). */
  loadFloorMs?: number;
}

/** Why a worker is given up on; the job survives it. */
class EngineDiedError extends Error {}

export const REASONS = {
  deviceLost: 'The GPU was reset by the browser.',
  hung: 'The engine stopped responding.',
  loadHung: 'The engine stopped responding while loading the model.',
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deathReason(error: unknown): string | undefined {
  if (error instanceof EngineDiedError) return error.message;
  if (error instanceof HearthError && error.code === 'device-lost') return REASONS.deviceLost;
  return undefined;
}

/** Rejects `hung` once `allowedMs()` passes without a `kick()`; `allowedMs` is asked anew each time it is checked. */
function stallTimer(allowedMs: () => number, reason: string): { kick(): void; stop(): void; hung: Promise<never> } {
  let last = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (performance.now() - last > allowedMs()) reject(new EngineDiedError(reason));
    }, 250);
  });
  hung.catch(() => undefined);
  return { hung, kick: () => (last = performance.now()), stop: () => clearInterval(timer) };
}

/**
 * Owns the diffusion worker's life: starts it, loads the model, runs jobs, and
 * when the worker dies, hangs or loses its GPU device, terminates it (ORT hangs
 * after a loss, so nothing is awaited on it), starts a new one with back-off
 * and resumes the job from its newest checkpoint. Nothing else creates or kills
 * workers.
 */
export class Supervisor {
  #options: Required<SupervisorOptions>;
  #handle: EngineHandle | undefined;
  #died: Promise<never> | undefined;
  /** The model last made ready and the options it was loaded with, as `modelId + options` JSON. */
  #loaded: string | undefined;
  #info: EngineInfo | undefined;
  #startup: StartupTimings = { workerStartMs: 0, loadMs: 0, readMs: 0 };
  /** The last `prepare()` in line, settled or not; the next one starts after it. */
  #preparing: Promise<unknown> = Promise.resolve();
  /** How many `prepare()` calls began, and the newest one's promise. */
  #prepareCalls = 0;
  #newestPrepare: Promise<EngineInfo> | undefined;

  constructor(options: SupervisorOptions) {
    this.#options = { maxRestarts: 3, backoffMs: 1000, firstStepMs: 120_000, stallFloorMs: 20_000, loadFloorMs: 60_000, previewEvery: () => DEFAULT_PREVIEW_EVERY, ...options };
  }

  get info(): EngineInfo | undefined {
    return this.#info;
  }

  /**
   * Starts the worker and loads `source` unless it is already loaded. A worker
   * that dies, hangs or loses its device meanwhile is restarted with back-off,
   * as during a job; `EngineFailedError` after `maxRestarts` in a row.
   */
  prepare(source: ModelSource, onProgress: (progress: Progress) => void = () => {}): Promise<EngineInfo> {
    const call = this.#prepareRetrying(source, onProgress, ++this.#prepareCalls);
    this.#newestPrepare = call;
    return call;
  }

  /**
   * A retry is dropped once a later `prepare()` has begun, which then says
   * what is wanted: retrying would load the earlier model over the later one
   * (or beside it, as the restart freed the queue). The dropped call ends as
   * the later one does.
   */
  async #prepareRetrying(source: ModelSource, onProgress: (progress: Progress) => void, call: number): Promise<EngineInfo> {
    for (let failures = 0; ; ) {
      try {
        return await this.#prepareOnce(source, onProgress);
      } catch (error) {
        await this.#afterDeath(error, ++failures, 'load');
        if (call !== this.#prepareCalls) return this.#newestPrepare!;
      }
    }
  }

  /**
   * One attempt at `prepare`. Calls queue behind each other: ORT refuses to
   * create a session while another is being created, and a second call for
   * the same model then finds it loaded.
   */
  #prepareOnce(source: ModelSource, onProgress: (progress: Progress) => void): Promise<EngineInfo> {
    const prepared = this.#preparing.then(() => this.#prepareNow(source, onProgress));
    this.#preparing = prepared.catch(() => undefined);
    return prepared;
  }

  async #prepareNow(source: ModelSource, onProgress: (progress: Progress) => void): Promise<EngineInfo> {
    // A load reports nothing while it creates a network's session, so the allowance is per network.
    const stall = stallTimer(() => loadAllowanceMs(source.manifest, this.#options.loadFloorMs), REASONS.loadHung);
    try {
      return await this.#startAndLoad(source, (progress) => {
        stall.kick();
        onProgress(progress);
      }, stall.hung);
    } finally {
      stall.stop();
    }
  }

  async #startAndLoad(source: ModelSource, onProgress: (progress: Progress) => void, hung: Promise<never>): Promise<EngineInfo> {
    let workerStartMs = 0;
    let handle = this.#handle;
    if (!handle) {
      const spawned = performance.now();
      handle = this.#options.spawn();
      let lost: (reason: string) => void = () => {};
      const lostPromise = new Promise<string>((resolve) => (lost = resolve));
      this.#handle = handle;
      this.#died = Promise.race([handle.crashed, lostPromise]).then((reason) => {
        throw new EngineDiedError(reason);
      });
      this.#died.catch(() => undefined);
      this.#loaded = undefined;
      try {
        this.#info = await this.#guard(handle.engine.init(this.#options.backend(), proxy(() => lost(REASONS.deviceLost))), hung);
      } catch (error) {
        // A worker whose init failed is unusable; the next prepare starts a fresh one.
        this.restart();
        throw error;
      }
      workerStartMs = performance.now() - spawned;
    }
    const options = this.#options.memory();
    // A preview decoder downloaded or deleted since the load changes `previewDecoder`; the engine then swaps only that.
    const wanted = JSON.stringify([source.manifest.id, options, source.previewDecoder]);
    if (this.#loaded !== wanted) {
      const start = performance.now();
      this.#loaded = undefined;
      let readMs = 0;
      const relay = (progress: Progress) => {
        if (progress.phase === 'load') readMs += progress.readMs;
        onProgress(progress);
      };
      const facts = await this.#guard(handle.engine.loadModel(source, options, proxy(relay)), hung);
      this.#loaded = wanted;
      this.#startup = { workerStartMs, loadMs: performance.now() - start, readMs };
      this.#options.onEvent({ kind: 'ready', info: this.#info!, modelId: source.manifest.id, facts, startup: this.#startup });
    }
    return this.#info!;
  }

  /**
   * Runs a job to the end, surviving worker deaths: after each it restarts
   * with back-off and resumes from the newest checkpoint it has seen. Throws
   * `EngineFailedError` after `maxRestarts` deaths in a row.
   */
  async run(
    job: Job,
    source: ModelSource,
    onProgress: (progress: Progress) => void,
    options: { signal?: AbortSignal; resume?: Checkpoint } = {},
  ): Promise<GenerateResult> {
    let checkpoint = options.resume;
    let failures = 0;
    let recovering: { reason: string; started: number; backoffMs: number } | undefined;
    const onAbort = () => void this.#handle?.engine.cancel(job.id);
    options.signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        try {
          await this.#prepareOnce(source, onProgress);
          if (recovering) {
            const { reason, started, backoffMs } = recovering;
            recovering = undefined;
            this.#options.onEvent({
              kind: 'recovered',
              reason,
              ms: performance.now() - started,
              backoffMs,
              startup: this.#startup,
              resumedAtStep: checkpoint?.step ?? 0,
              steps: job.settings.steps,
            });
          }
          if (options.signal?.aborted) throw new CancelledError();
          const work = stepWork(job, source.manifest);
          const processor = processorOf(this.#info);
          // Only a preview decoder compiles shaders for its first preview; the latent approximation (no decoder, or low-memory mode) is instant.
          const decoderPreviews = source.previewDecoder !== undefined && !this.#options.memory().lowMemory;
          const watchdog = this.#watch(stepAllowanceMs(work, processor, this.#options.firstStepMs), stepAllowanceMs(work, processor, this.#options.stallFloorMs), decoderPreviews);
          const relay = (progress: Progress) => {
            watchdog.kick(progress);
            if (progress.phase === 'denoise') checkpoint = progress.checkpoint;
            onProgress(progress);
          };
          try {
            return await this.#guard(this.#handle!.engine.generate(job, proxy(relay), checkpoint, this.#options.previewEvery()), watchdog.hung);
          } finally {
            watchdog.stop();
          }
        } catch (error) {
          const started = performance.now();
          const { reason, delayMs } = await this.#afterDeath(error, ++failures, 'job');
          recovering = { reason, started, backoffMs: delayMs };
        }
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Rethrows `error` unless it is a worker's death; else kills the worker and,
   * unless that was the `maxRestarts`th death in a row, backs off before the
   * next try, saying so.
   */
  async #afterDeath(error: unknown, failures: number, during: 'job' | 'load'): Promise<{ reason: string; delayMs: number }> {
    const reason = deathReason(error);
    if (!reason) throw error;
    this.restart();
    if (failures > this.#options.maxRestarts) throw new EngineFailedError(reason, failures, during);
    const delayMs = this.#options.backoffMs * 2 ** (failures - 1);
    this.#options.onEvent({ kind: 'recovering', reason, attempt: failures, delayMs });
    await sleep(delayMs);
    return { reason, delayMs };
  }

  /** Kills the worker now; the next call starts a fresh one. */
  restart(): void {
    this.#handle?.terminate();
    this.#handle = undefined;
    this.#died = undefined;
    this.#loaded = undefined;
    // A load on the killed worker never settles; the next prepare must not wait for it.
    this.#preparing = Promise.resolve();
  }

  /** What the engine holds now; `undefined` while no worker runs. */
  async memory(): Promise<EngineMemory | undefined> {
    return this.#handle ? this.#guard(this.#handle.engine.memory()) : undefined;
  }

  /**
   * A hang detector driven by progress: the worker may legitimately block for a
   * whole step on wasm, so pings prove nothing; a step far slower than its
   * peers does. The first step and the first decode compile shaders, and a
   * network low-memory mode creates mid-job reads its weights first: those get
   * `firstAllowedMs`; any other wait ten times the slowest step after the
   * first, but at least `floorMs` (both from src/engine/step-allowance.ts).
   * A preview decoder's first preview compiles its shaders too, but it is a
   * small network whose ops the UNet has (TAESD: 1.2M parameters against
   * 866M): it may take as long as the first step took, which compiled the
   * UNet's, so a hang right after a step is still noticed at the floor when
   * that step was quick.
   */
  #watch(firstAllowedMs: number, floorMs: number, decoderPreviews: boolean): { kick(progress: Progress): void; stop(): void; hung: Promise<never> } {
    let slowestLaterStep = 0;
    let steps = 0;
    // A preview decoder can be slower than a step (on SwiftShader, many times): its runs widen the allowance too.
    let longestPreview = 0;
    let previews = 0;
    let firstStepMs = 0;
    // The first decode after a start compiles the VAE's shaders, as the first step does the UNet's.
    let decodedBefore = false;
    let compiling = true;
    let firstPreview = false;
    const stall = stallTimer(() => {
      const later = Math.max(floorMs, 10 * slowestLaterStep, 10 * longestPreview);
      return compiling ? firstAllowedMs : firstPreview ? Math.max(later, firstStepMs) : later;
    }, REASONS.hung);
    return {
      hung: stall.hung,
      kick(progress) {
        stall.kick();
        if (progress.phase === 'denoise') {
          // The first step after a start compiles shaders; it says nothing about how long a step takes.
          if (steps > 0) slowestLaterStep = Math.max(slowestLaterStep, progress.stepMs);
          else firstStepMs = progress.stepMs;
          steps++;
        }
        if (progress.phase === 'preview') {
          longestPreview = Math.max(longestPreview, progress.previewMs);
          previews++;
        }
        compiling = steps === 0 || progress.phase === 'swap' || (progress.phase === 'decode' && !decodedBefore);
        firstPreview = decoderPreviews && progress.phase === 'denoise' && progress.previewing && previews === 0;
        if (progress.phase === 'decode') decodedBefore = true;
      },
      stop: stall.stop,
    };
  }

  #guard<T>(call: Promise<T>, ...others: Promise<never>[]): Promise<T> {
    return Promise.race([call, ...(this.#died ? [this.#died] : []), ...others]);
  }
}
