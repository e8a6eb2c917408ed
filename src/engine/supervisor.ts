import { proxy } from 'comlink';
import { CancelledError, HearthError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import type { BackendChoice, Checkpoint, EngineInfo, GenerateResult, Job, ModelSource } from '../shared/protocol.ts';
import type { EngineHandle } from './client.ts';

/** What the supervisor tells the UI about the engine's life. */
export type SupervisorEvent =
  | { kind: 'ready'; info: EngineInfo; modelId: string; loadMs: number }
  | { kind: 'recovering'; reason: string; attempt: number; delayMs: number }
  | { kind: 'recovered'; reason: string; ms: number; resumedAtStep: number; steps: number };

export interface SupervisorOptions {
  spawn: () => EngineHandle;
  backend: () => BackendChoice;
  onEvent: (event: SupervisorEvent) => void;
  /** Restarts in a row before giving up. */
  maxRestarts?: number;
  /** First back-off delay; it doubles on each further restart. */
  backoffMs?: number;
}

/** The engine failed again and again; the UI offers a retry. */
export class EngineFailedError extends HearthError {
  readonly code = 'engine-failed';
  constructor(readonly reason: string, readonly attempts: number) {
    super(`The engine failed ${attempts} times in a row: ${reason}`);
  }
}

class EngineDiedError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Owns the diffusion worker's life: starts it, loads the model, runs jobs, and
 * when the worker dies or its GPU device is lost, terminates it (ORT hangs
 * after a loss, so nothing is awaited on it), starts a new one and resumes the
 * job from its last checkpoint. Nothing else creates or kills workers.
 */
export class Supervisor {
  #options: Required<SupervisorOptions>;
  #handle: EngineHandle | undefined;
  #died: Promise<never> | undefined;
  #modelId: string | undefined;
  #info: EngineInfo | undefined;

  constructor(options: SupervisorOptions) {
    this.#options = { maxRestarts: 3, backoffMs: 1000, ...options };
  }

  get info(): EngineInfo | undefined {
    return this.#info;
  }

  /** Starts the worker and loads `source` unless it is already loaded. */
  async prepare(source: ModelSource, onProgress: (progress: Progress) => void = () => {}): Promise<EngineInfo> {
    if (!this.#handle) {
      const handle = this.#options.spawn();
      let lost: (reason: string) => void = () => {};
      const lostPromise = new Promise<string>((resolve) => (lost = resolve));
      this.#handle = handle;
      this.#died = Promise.race([handle.crashed, lostPromise]).then((reason) => {
        throw new EngineDiedError(reason);
      });
      this.#died.catch(() => undefined);
      this.#modelId = undefined;
      this.#info = await this.#guard(
        handle.engine.init(
          this.#options.backend(),
          proxy((reason: string) => lost(`The GPU device was lost (${reason}).`)),
        ),
      );
    }
    if (this.#modelId !== source.manifest.id) {
      const start = performance.now();
      this.#modelId = undefined;
      await this.#guard(this.#handle.engine.loadModel(source, proxy(onProgress)));
      this.#modelId = source.manifest.id;
      this.#options.onEvent({ kind: 'ready', info: this.#info!, modelId: source.manifest.id, loadMs: performance.now() - start });
    }
    return this.#info!;
  }

  /**
   * Runs a job to the end, surviving worker deaths: after each it restarts
   * with back-off and resumes from the newest checkpoint it has seen.
   */
  async run(
    job: Job,
    source: ModelSource,
    onProgress: (progress: Progress) => void,
    options: { signal?: AbortSignal; resume?: Checkpoint } = {},
  ): Promise<GenerateResult> {
    let checkpoint = options.resume;
    let failures = 0;
    const onAbort = () => void this.#handle?.engine.cancel(job.id);
    options.signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        let recovering: { reason: string; started: number } | undefined;
        try {
          await this.prepare(source, onProgress);
          if (options.signal?.aborted) throw new CancelledError();
          const relay = (progress: Progress) => {
            if (progress.phase === 'denoise') checkpoint = progress.checkpoint;
            onProgress(progress);
          };
          return await this.#guard(this.#handle!.engine.generate(job, proxy(relay), checkpoint));
        } catch (error) {
          if (!(error instanceof EngineDiedError)) throw error;
          failures++;
          this.restart();
          if (failures > this.#options.maxRestarts) throw new EngineFailedError(error.message, failures);
          const delayMs = this.#options.backoffMs * 2 ** (failures - 1);
          this.#options.onEvent({ kind: 'recovering', reason: error.message, attempt: failures, delayMs });
          recovering = { reason: error.message, started: performance.now() };
          await sleep(delayMs);
        }
        if (recovering) {
          const resumeAt = checkpoint?.step ?? 0;
          await this.prepare(source, onProgress).catch(() => undefined);
          this.#options.onEvent({
            kind: 'recovered',
            reason: recovering.reason,
            ms: performance.now() - recovering.started,
            resumedAtStep: resumeAt,
            steps: job.settings.steps,
          });
        }
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Kills the worker now; the next call starts a fresh one. */
  restart(): void {
    this.#handle?.terminate();
    this.#handle = undefined;
    this.#died = undefined;
    this.#modelId = undefined;
  }

  #guard<T>(call: Promise<T>): Promise<T> {
    return this.#died ? Promise.race([call, this.#died]) : call;
  }
}
