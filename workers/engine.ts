import { transfer } from 'comlink';
import type { EngineInfo } from '../src/shared/backend.ts';
import type { Checkpoint } from '../src/shared/checkpoint.ts';
import { manifestMisfit, wasmFit } from '../src/shared/device-fit.ts';
import type { Engine, GenerateResult } from '../src/shared/engine-api.ts';
import { DeviceLostError, GpuMemoryError, UnsupportedModelError } from '../src/shared/errors.ts';
import type { Job } from '../src/shared/job.ts';
import type { NetworkName } from '../src/shared/networks.ts';
import type { Progress } from '../src/shared/progress.ts';
import { validateSettings, type PreviewEvery } from '../src/shared/settings.ts';
import { createModel, releaseModels, sameModel, syncPreviewDecoder, type LoadedModel } from './model-loader.ts';
import { generateImages } from './pipeline/generate.ts';
import { encodeImage } from './png.ts';
import type { RuntimeOptions } from './runtime/components.ts';
import { acquireDevice } from './runtime/device.ts';
import { countBuffers, type BufferTally } from './runtime/gpu-buffers.ts';
import { watchOutOfMemory } from './runtime/gpu-memory.ts';
import { Lru } from './runtime/lru.ts';
import { ort, ortBuild } from './runtime/ort.ts';
import { createSerialQueue } from './runtime/serial.ts';

// A model picked while another loads must wait: ORT's native WebGPU EP fails a create
// that overlaps another ("another WebGPU EP inference session is being created"; docs/ort-web.md, "One queue for every call").
const serialLoads = createSerialQueue();

/** Test-only hooks; production builds pass none (see `workers/faults.ts`). */
export interface EngineHooks {
  afterStep?(step: number, device: GPUDevice | undefined): void | Promise<void>;
  beforeLoad?(): void | Promise<void>;
}

/** The diffusion engine as it runs inside the worker. */
export function createEngine(hooks: EngineHooks = {}): Engine {
  let runtime: RuntimeOptions | undefined;
  let lostReason: string | undefined;
  let buffers: (() => BufferTally) | undefined;
  let outOfMemory: { take(): boolean } | undefined;
  /** Throws when an allocation failed since the last look: what ORT made of it cannot be trusted. */
  const checkMemory = (during: string, lowMemory: boolean) => {
    if (outOfMemory?.take()) throw new GpuMemoryError(during, lowMemory);
  };
  const resident = new Lru<LoadedModel>();
  const cancelled = new Set<string>();
  /** Tells the running job that low-memory mode is creating a network's session. */
  let onSwap: ((network: NetworkName) => void) | undefined;

  const requireRuntime = () => {
    if (!runtime) throw new Error('Engine used before init()');
    return runtime;
  };

  return {
    async init(choice, onDeviceLost): Promise<EngineInfo> {
      const base = {
        ortVersion: ort.env.versions.web ?? 'unknown',
        ortBuild,
        crossOriginIsolated: self.crossOriginIsolated,
        threads: ort.env.wasm.numThreads ?? 1,
      };
      if (choice === 'wasm') {
        runtime = { ort, ortBuild, backend: 'wasm' };
        return { ...base, backend: 'wasm', fallbackReason: 'CPU (wasm) was chosen in the settings.' };
      }
      const acquired = await acquireDevice();
      if (!acquired.ok) {
        runtime = { ort, ortBuild, backend: 'wasm' };
        return { ...base, backend: 'wasm', fallbackReason: acquired.reason };
      }
      const { device } = acquired;
      buffers = countBuffers(device);
      outOfMemory = watchOutOfMemory(device);
      void device.lost.then((info) => {
        lostReason = info.message || info.reason || 'unknown';
        onDeviceLost(lostReason);
      });
      runtime = { ort, ortBuild, backend: 'webgpu', device };
      return { ...base, backend: 'webgpu', adapter: acquired.adapter };
    },

    loadModel: (source, options, onProgress) =>
      serialLoads(async () => {
        await hooks.beforeLoad?.();
        const rt = requireRuntime();
        const { id } = source.manifest;
        const misfit = manifestMisfit(source.manifest, rt.backend, rt.device && { features: [...rt.device.features], maxBufferSize: rt.device.limits.maxBufferSize, maxStorageBufferBindingSize: rt.device.limits.maxStorageBufferBindingSize });
        if (misfit) throw new UnsupportedModelError(source.manifest.name, misfit);
        // The wasm heap may hold each network but not all three: then one at a time (docs/real-size.md).
        const files = source.manifest.files.map((file) => ({ path: file.path, bytes: file.size }));
        const lowMemory = options.lowMemory || (rt.backend === 'wasm' && wasmFit(files, source.manifest.precision).kind === 'one-at-a-time');
        const kept = resident.use(id);
        if (kept && kept.lowMemory === lowMemory && sameModel(kept.source, source)) {
          await releaseModels(resident.evictBeyond(options.residentModels));
          await syncPreviewDecoder(rt, kept, source);
          return kept.facts;
        }
        // Memory first: what is replaced or evicted is released before the new sessions are created.
        if (kept) await releaseModels([resident.take(id)!]);
        await releaseModels(resident.evictBeyond(options.residentModels - 1));
        const during = `while loading ${source.manifest.name}`;
        outOfMemory?.take();
        const model = await createModel(rt, source, lowMemory, onProgress, (network) => onSwap?.(network)).catch((error: unknown) => {
          checkMemory(during, lowMemory);
          throw error;
        });
        try {
          await syncPreviewDecoder(rt, model, source);
          checkMemory(during, lowMemory);
        } catch (error) {
          await releaseModels([model]);
          throw error;
        }
        resident.set(id, model);
        return model.facts;
      }),

    async generate(job: Job, onProgress: (progress: Progress) => void, resume?: Checkpoint, previewEvery?: PreviewEvery): Promise<GenerateResult> {
      const model = resident.use(job.modelId);
      if (!model) throw new Error(`Model ${job.modelId} is not loaded`);
      validateSettings(job.settings, model.source.manifest.sizes);
      const started = performance.now();
      const runBefore = model.components.timings.sessionRunMs;
      const unetBefore = model.components.timings.unetRuns;
      const previews = { count: 0, ms: 0 };
      cancelled.delete(job.id);
      onSwap = (component) => onProgress({ phase: 'swap', jobId: job.id, component });
      outOfMemory?.take();
      try {
        await generateImages(
          model,
          job,
          {
            onEncoded: () => onProgress({ phase: 'encode', jobId: job.id }),
            onStep: async ({ checkpoint, previewing, step, steps, imageIndex, stepMs }) => {
              onProgress(transfer({ phase: 'denoise', jobId: job.id, imageIndex, step, steps, stepMs, previewing, checkpoint }, [checkpoint.latents.buffer]));
              await hooks.afterStep?.(step, runtime?.device);
              checkMemory('while generating', model.lowMemory);
            },
            onPreview: ({ imageIndex, step, preview, previewMs }) => {
              previews.count++;
              previews.ms += previewMs;
              onProgress(transfer({ phase: 'preview', jobId: job.id, imageIndex, step, previewMs, preview }, [preview.rgba.buffer]));
            },
            onDecode: (imageIndex) => onProgress({ phase: 'decode', jobId: job.id, imageIndex }),
            onImage: async ({ imageIndex, seed, width, height, rgba }) => {
              const { png, thumb } = await encodeImage(rgba, width, height, { settings: { ...job.settings, seed }, model: job.modelId, input: job.input });
              const image = { jobId: job.id, imageIndex, seed, width, height, png, thumb };
              onProgress(transfer({ phase: 'image', jobId: job.id, image, pixels: { width, height, rgba } }, [rgba.buffer]));
            },
            isCancelled: () => cancelled.has(job.id),
          },
          resume,
          previewEvery,
        );
      } catch (error) {
        // After a loss ORT fails or hangs; a failure is reported as the loss it is, so the job is resumed, not failed.
        if (lostReason !== undefined) throw new DeviceLostError(lostReason);
        checkMemory('while generating', model.lowMemory);
        throw error;
      } finally {
        cancelled.delete(job.id);
        onSwap = undefined;
      }
      checkMemory('while decoding the image', model.lowMemory);
      onProgress({ phase: 'done', jobId: job.id });
      return {
        timings: {
          totalMs: performance.now() - started,
          sessionRunMs: model.components.timings.sessionRunMs - runBefore,
          unetRuns: model.components.timings.unetRuns - unetBefore,
          previews: previews.count,
          previewMs: previews.ms,
        },
      };
    },

    cancel(jobId) {
      cancelled.add(jobId);
    },

    memory: () => ({
      resident: resident.values().map((model) => ({ modelId: model.source.manifest.id, lowMemory: model.lowMemory, components: model.sessions.alive() })),
      gpuBuffers: buffers?.(),
    }),

  };
}
