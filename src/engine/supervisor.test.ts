import { describe, expect, it } from 'vitest';
import { EngineFailedError, ModelFileError } from '../shared/errors.ts';
import type { Progress } from '../shared/progress.ts';
import type { EngineInfo } from '../shared/backend.ts';
import type { Checkpoint } from '../shared/checkpoint.ts';
import type { Engine } from '../shared/engine-api.ts';
import type { Job } from '../shared/job.ts';
import type { ModelSource } from '../shared/model.ts';
import type { MemoryOptions } from '../shared/settings.ts';
import type { EngineHandle } from './client.ts';
import { REASONS, Supervisor, type SupervisorEvent } from './supervisor.ts';

type Fault = 'crash' | 'hang' | 'lose-device' | 'bad-model' | 'slow-swap' | undefined;

const source = { kind: 'url', baseUrl: 'x', manifest: { id: 'tiny' } } as unknown as ModelSource;
const job = { id: 'job', modelId: 'tiny', settings: { steps: 4 }, createdAt: 0 } as unknown as Job;
const info: EngineInfo = { backend: 'wasm', ortVersion: 't', crossOriginIsolated: false, threads: 1 };

/** Workers that run 4 fake steps, each misbehaving after its first step as `faults` says, in spawn order. */
function fakeWorkers(faults: Fault[]) {
  const resumedFrom: (number | undefined)[] = [];
  const loads: MemoryOptions[] = [];
  let terminated = 0;
  const spawn = (): EngineHandle => {
    const fault = faults[resumedFrom.length];
    let crash: (reason: string) => void = () => {};
    let lose: () => void = () => {};
    let started = false;
    const engine: Partial<Engine> = {
      init: async (_choice, onDeviceLost) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        lose = () => onDeviceLost('test');
        started = true;
        return info;
      },
      loadModel: async (_source, options) => {
        if (!started) throw new Error('Engine used before init()');
        loads.push({ ...options });
      },
      cancel: () => {},
      generate: async (_job: Job, onProgress: (p: Progress) => void, resume?: Checkpoint) => {
        resumedFrom.push(resume?.step);
        const first = (resume?.step ?? 0) + 1;
        for (let step = first; step <= 4; step++) {
          const checkpoint: Checkpoint = {
            build: 'test',
            jobId: 'job',
            imageIndex: 0,
            step,
            latents: new Float32Array(1),
            scheduler: { className: 'EulerDiscreteScheduler', numInferenceSteps: 4, stepIndex: step, beginIndex: null },
            generator: { mt: new Uint32Array(1), index: 0, nextNormal: null },
          };
          onProgress({ phase: 'denoise', jobId: 'job', imageIndex: 0, step, steps: 4, stepMs: 1, preview: { width: 1, height: 1, rgba: new Uint8ClampedArray(4) }, checkpoint });
          if (step === first && fault === 'crash') crash('The engine crashed (boom).');
          if (step === first && fault === 'lose-device') lose();
          if (step === 2 && fault === 'slow-swap') {
            // Low-memory mode creating the VAE: longer than the stall floor, well within the first-step allowance.
            onProgress({ phase: 'swap', jobId: 'job', component: 'vaeDecoder' });
            await new Promise((resolve) => setTimeout(resolve, 700));
          }
          if (step === first && fault === 'bad-model') throw new ModelFileError('unet/model.onnx', 'is broken');
          if (step === first && (fault === 'hang' || fault === 'crash' || fault === 'lose-device')) await new Promise(() => {});
        }
        return { timings: { totalMs: 1, sessionRunMs: 1, unetRuns: 4 - (resume?.step ?? 0) } };
      },
    };
    return {
      engine: engine as unknown as EngineHandle['engine'],
      crashed: new Promise((resolve) => (crash = resolve)),
      terminate: () => void terminated++,
    };
  };
  return { spawn, resumedFrom, loads, terminated: () => terminated };
}

function supervise(faults: Fault[], memory: MemoryOptions = { lowMemory: false, residentModels: 1 }, firstStepMs = 200) {
  const workers = fakeWorkers(faults);
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor({
    spawn: workers.spawn,
    backend: () => 'auto',
    memory: () => memory,
    onEvent: (event) => events.push(event),
    backoffMs: 1,
    firstStepMs,
    stallFloorMs: 100,
  });
  return { supervisor, workers, events };
}

describe('Supervisor', () => {
  it.each([
    ['crash', 'The engine crashed (boom).'],
    ['lose-device', REASONS.deviceLost],
    ['hang', REASONS.hung],
  ] as const)('recovers from a %s and resumes after the last completed step', async (fault, reason) => {
    const { supervisor, workers, events } = supervise([fault]);
    const result = await supervisor.run(job, source, () => {});
    expect(workers.resumedFrom).toEqual([undefined, 1]);
    expect(result.timings.unetRuns).toBe(3);
    expect(workers.terminated()).toBe(1);
    expect(events.filter((e) => e.kind !== 'ready')).toMatchObject([
      { kind: 'recovering', reason, attempt: 1 },
      { kind: 'recovered', reason, resumedAtStep: 1, steps: 4 },
    ]);
  });

  it('backs off and gives up after repeated deaths, keeping the reason', async () => {
    const { supervisor, events } = supervise(['crash', 'crash', 'crash', 'crash']);
    await expect(supervisor.run(job, source, () => {})).rejects.toBeInstanceOf(EngineFailedError);
    const delays = events.flatMap((e) => (e.kind === 'recovering' ? [e.delayMs] : []));
    expect(delays).toEqual([1, 2, 4]);
  });

  it('passes other errors through without restarting', async () => {
    const { supervisor, workers } = supervise(['bad-model']);
    await expect(supervisor.run(job, source, () => {})).rejects.toBeInstanceOf(ModelFileError);
    expect(workers.terminated()).toBe(0);
  });

  it('gives a network that low-memory mode creates mid-job the first-step allowance, not the stall floor', async () => {
    const { supervisor, workers } = supervise(['slow-swap'], undefined, 2000);
    await supervisor.run(job, source, () => {});
    expect(workers.terminated()).toBe(0);
  });

  it('loads the model again only when it or the memory options change', async () => {
    const memory: MemoryOptions = { lowMemory: false, residentModels: 1 };
    const { supervisor, workers } = supervise([], memory);
    await supervisor.prepare(source);
    await supervisor.prepare(source);
    memory.lowMemory = true;
    await supervisor.prepare(source);
    expect(workers.loads).toEqual([
      { lowMemory: false, residentModels: 1 },
      { lowMemory: true, residentModels: 1 },
    ]);
  });

  it('makes a second prepare during start-up wait for the worker to be initialised', async () => {
    const { supervisor, workers } = supervise([]);
    await Promise.all([supervisor.prepare(source), supervisor.prepare(source)]);
    expect(workers.loads.length).toBeGreaterThan(0);
  });
});
