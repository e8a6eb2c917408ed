/**
 * Fake diffusion workers for the unit tests of the supervisor and the job
 * runner: each runs four fake steps and misbehaves as its fault says, and,
 * like ORT, refuses a session create while another is in progress.
 */
import type { Checkpoint } from '../shared/checkpoint.ts';
import { CheckpointError, ModelFileError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import type { EngineInfo } from '../shared/backend.ts';
import type { Engine } from '../shared/engine-api.ts';
import type { ImageInput } from '../shared/image-input.ts';
import type { Job } from '../shared/job.ts';
import type { ModelSource } from '../shared/model.ts';
import type { MemoryOptions } from '../shared/settings.ts';
import type { EngineHandle } from './client.ts';

/** How a worker misbehaves in its first job: after the first step (`bad-checkpoint`: at once, when resuming; `hang-load`: in its first model load, which never ends). */
export type Fault = 'crash' | 'hang' | 'lose-device' | 'bad-model' | 'slow-swap' | 'slow-steps' | 'slow-first-preview' | 'bad-checkpoint' | 'hang-load' | undefined;

export const STEPS = 4;
/** A model with a UNet of `unetBytes` (fp32); at 1 MB its steps get the supervisor's fixed allowances. */
export const fakeSource = (id = 'tiny', unetBytes = 1e6): ModelSource =>
  ({ kind: 'url', baseUrl: 'x', manifest: { id, precision: 'fp32', files: [{ path: 'unet/model.onnx', size: unetBytes, sha256: '' }] } }) as unknown as ModelSource;
export const fakeInfo: EngineInfo = { backend: 'wasm', ortVersion: 't', ortBuild: 'asyncify', crossOriginIsolated: false, threads: 1 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fakeCheckpoint(jobId: string, step: number): Checkpoint {
  return {
    build: 'test',
    jobId,
    imageIndex: 0,
    step,
    latents: new Float32Array(1),
    scheduler: { className: 'EulerDiscreteScheduler', numInferenceSteps: STEPS, stepIndex: step, beginIndex: null },
    generator: { mt: new Uint32Array(1), index: 0, nextNormal: null },
  };
}

/** Workers misbehaving as `faults` says, in spawn order; `loadMs` is how long each model load takes. */
export function fakeWorkers(faults: Fault[], loadMs = 0) {
  const resumedFrom: (number | undefined)[] = [];
  /** The picture each `generate` call was given. */
  const inputs: (ImageInput | undefined)[] = [];
  const loads: { modelId: string; options: MemoryOptions }[] = [];
  let spawned = 0;
  let terminated = 0;
  const spawn = (): EngineHandle => {
    const workerFault = faults[spawned++];
    let crash: (reason: string) => void = () => {};
    let lose: () => void = () => {};
    let started = false;
    let loading = false;
    let jobs = 0;
    const engine: Partial<Engine> = {
      init: async (_choice, onDeviceLost) => {
        await sleep(20);
        lose = () => onDeviceLost('test');
        started = true;
        return fakeInfo;
      },
      loadModel: async (source, options) => {
        if (!started) throw new Error('Engine used before init()');
        if (loading) throw new Error('Session already started');
        loading = true;
        if (workerFault === 'hang-load') await new Promise(() => {});
        await sleep(loadMs);
        loading = false;
        loads.push({ modelId: source.manifest.id, options: { ...options } });
        return {};
      },
      cancel: () => {},
      generate: async (job: Job, onProgress: (p: Progress) => void, resume?: Checkpoint) => {
        if (loading) throw new Error('generate() while a model loads');
        const fault = jobs++ === 0 ? workerFault : undefined;
        resumedFrom.push(resume?.step);
        inputs.push(job.input);
        if (resume && fault === 'bad-checkpoint') throw new CheckpointError('it was written by another version of Hearth (old)');
        const first = (resume?.step ?? 0) + 1;
        for (let step = first; step <= STEPS; step++) {
          const checkpoint = fakeCheckpoint(job.id, step);
          // Real-size steps on the CPU: 300 ms each, past the stall floor.
          const stepMs = fault === 'slow-steps' ? 300 : fault === 'slow-first-preview' && step === first ? 1000 : 1;
          if (fault === 'slow-steps' && step > first) await sleep(stepMs);
          onProgress({ phase: 'denoise', jobId: job.id, imageIndex: 0, step, steps: STEPS, stepMs, previewing: true, checkpoint });
          if (step === first && fault === 'crash') crash('The engine crashed (boom).');
          if (step === first && fault === 'lose-device') lose();
          if (step === first && fault === 'slow-first-preview') {
            // A preview decoder compiling: past the stall floor, within what the first step took.
            await sleep(400);
            onProgress({ phase: 'preview', jobId: job.id, imageIndex: 0, step, previewMs: 400, preview: { width: 1, height: 1, rgba: new Uint8ClampedArray(4) } });
          }
          if (step === 2 && fault === 'slow-swap') {
            // Low-memory mode creating the VAE: longer than the stall floor, well within the first-step allowance.
            onProgress({ phase: 'swap', jobId: job.id, component: 'vaeDecoder' });
            await sleep(700);
          }
          if (step === first && fault === 'bad-model') throw new ModelFileError('unet/model.onnx', 'is broken');
          if (step === first && (fault === 'hang' || fault === 'crash' || fault === 'lose-device')) await new Promise(() => {});
        }
        const image = { jobId: job.id, imageIndex: 0, seed: 1, width: 1, height: 1, png: new Blob(['png']) };
        onProgress({ phase: 'image', jobId: job.id, image, pixels: { width: 1, height: 1, rgba: new Uint8ClampedArray(4) } });
        return { timings: { totalMs: 1, sessionRunMs: 1, unetRuns: STEPS - (resume?.step ?? 0), previews: 0, previewMs: 0 } };
      },
    };
    return {
      engine: engine as unknown as EngineHandle['engine'],
      crashed: new Promise((resolve) => (crash = resolve)),
      terminate: () => void terminated++,
    };
  };
  return { spawn, resumedFrom, inputs, loads, terminated: () => terminated };
}
