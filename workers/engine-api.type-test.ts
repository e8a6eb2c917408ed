/**
 * Compile-only tests of the diffusion worker's API, in the manner of comlink's
 * own `tests/type-checks.ts`: `npm run check` type-checks this file and nothing
 * runs it. `Expect<...>` lines fail to compile when the API drifts, and each
 * `@ts-expect-error` line must not compile: if it ever does, tsc reports the
 * directive as unused and the check fails.
 */
import { proxy, type Remote } from 'comlink';
import type { Checkpoint } from '../src/shared/checkpoint.ts';
import type { Engine, EngineMemory, GenerateResult } from '../src/shared/engine-api.ts';
import type { EngineInfo } from '../src/shared/backend.ts';
import type { GeneratedImage, Job } from '../src/shared/job.ts';
import type { NetworkName } from '../src/shared/networks.ts';
import type { Progress } from '../src/shared/progress.ts';
import type { createEngine } from './engine.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

/** True when `T` holds no function anywhere: what structured clone can carry. */
type Cloneable<T> = T extends (...args: never[]) => unknown
  ? false
  : T extends Blob | ArrayBufferView | ArrayBuffer | string | number | boolean | bigint | null | undefined
    ? true
    : T extends readonly (infer Item)[]
      ? Cloneable<Item>
      : T extends object
        ? false extends { [K in keyof T]-?: Cloneable<T[K]> }[keyof T]
          ? false
          : true
        : true;

// The worker exposes exactly the Engine: the same methods, none missing, none extra.
export type ExposesEngine = Expect<Equal<ReturnType<typeof createEngine>, Engine>>;
export type EngineMethods = Expect<Equal<keyof Engine, 'init' | 'loadModel' | 'generate' | 'cancel' | 'memory'>>;

// Everything that crosses the thread is structured-cloneable: no function hides in a payload.
export type PayloadsClone = Expect<Equal<Cloneable<[Job, Checkpoint, Progress, EngineInfo, EngineMemory, GenerateResult]>, true>>;
export type CloneableCatchesFunctions = Expect<Equal<Cloneable<{ nested: { callback: () => void } }>, false>>;

// Progress variants narrow by `phase`, and each carries its own payload.
export type LoadNamesANetwork = Expect<Equal<Extract<Progress, { phase: 'load' }>['component'], NetworkName>>;
export type ImageCarriesTheImage = Expect<Equal<Extract<Progress, { phase: 'image' }>['image'], GeneratedImage>>;
export function readsByPhase(progress: Progress): number {
  // @ts-expect-error `step` exists only once the phase says denoise
  void progress.step;
  if (progress.phase === 'denoise') return progress.step / progress.steps;
  if (progress.phase === 'download') return progress.loaded / progress.total;
  // @ts-expect-error a phase the union does not have
  if (progress.phase === 'loading') return 0;
  return 1;
}

// On the main thread every call is asynchronous and callbacks go through `proxy`.
export async function mainThreadView(engine: Remote<Engine>, job: Job): Promise<void> {
  const memory: EngineMemory = await engine.memory();
  // @ts-expect-error a comlink call returns a promise, never the value itself
  const sync: EngineMemory = engine.memory();
  await engine.generate(job, proxy((progress: Progress) => void progress.phase));
  // @ts-expect-error a job without its settings is refused
  await engine.generate({ id: job.id, modelId: job.modelId, createdAt: job.createdAt }, proxy(() => {}));
  void memory;
  void sync;
}
