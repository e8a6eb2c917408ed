import { transfer } from 'comlink';
import { DeviceLostError, UnsupportedModelError } from '../src/shared/errors.ts';
import { parsePythonJson } from '../src/shared/json-check.ts';
import type { Progress } from '../src/shared/progress.ts';
import type { Checkpoint, Engine, EngineInfo, GenerateResult, Job, ModelSource } from '../src/shared/protocol.ts';
import { validateSettings } from '../src/shared/settings.ts';
import { externalDataOf, readModelBlob, readModelBytes, readOptionalText, readText } from './model-files.ts';
import { decodedToRgba } from './pipeline/image.ts';
import { parseSchedulerConfig } from './pipeline/schedulers/index.ts';
import { ClipTokenizer, padTokenIdFromConfig } from './pipeline/tokenizer.ts';
import { txt2img, type Txt2ImgModel } from './pipeline/txt2img.ts';
import { encodePng } from './png.ts';
import { COMPONENT_FILES, createComponentSession, keepOnGpu, wrapSessions, type ComponentName, type RuntimeOptions } from './runtime/components.ts';
import { acquireDevice } from './runtime/device.ts';
import { createSerialQueue } from './runtime/serial.ts';
import { ort } from './runtime/ort.ts';

interface LoadedModel extends Txt2ImgModel {
  source: ModelSource;
}

async function loadTokenizer(source: ModelSource): Promise<ClipTokenizer> {
  const [vocab, merges, config, specialTokens] = await Promise.all([
    readText(source, 'tokenizer/vocab.json'),
    readText(source, 'tokenizer/merges.txt'),
    readOptionalText(source, 'tokenizer/tokenizer_config.json'),
    readOptionalText(source, 'tokenizer/special_tokens_map.json'),
  ]);
  const tokenizer = ClipTokenizer.fromFiles(vocab, merges);
  const padTokenId = padTokenIdFromConfig(tokenizer.vocab, config, specialTokens);
  return padTokenId === undefined ? tokenizer : ClipTokenizer.fromFiles(vocab, merges, { padTokenId });
}

async function loadSchedulerConfig(source: ModelSource) {
  const path = 'scheduler/scheduler_config.json';
  return parseSchedulerConfig(parsePythonJson(await readText(source, path), path));
}

type Session = Awaited<ReturnType<typeof createComponentSession>>;

// A model picked while another loads must wait: ORT's native WebGPU EP fails a create
// that overlaps another ("another WebGPU EP inference session is being created", ORT-FACTS.md).
const serialLoads = createSerialQueue();

/**
 * Creates one component's session. The graph's bytes and the external-data
 * Blobs live only in this call, so they are collectable as soon as ORT has
 * copied them: ORT keeps no reference (ORT-FACTS.md, "Loading weights").
 */
async function loadComponent(rt: RuntimeOptions, source: ModelSource, name: ComponentName): Promise<{ session: Session; readMs: number; bytes: number }> {
  const { path, output } = COMPONENT_FILES[name];
  const start = performance.now();
  const graph = await readModelBytes(source, path);
  const external = externalDataOf(source, path);
  const files = await Promise.all(external.map(async (file) => ({ name: file.name, data: await readModelBlob(source, file.path) })));
  const readMs = performance.now() - start;
  const extra = name === 'textEncoder' ? keepOnGpu(rt, output) : {};
  const session = await createComponentSession(rt, name, graph, extra, files);
  return { session, readMs, bytes: graph.length + external.reduce((sum, file) => sum + file.size, 0) };
}

/** Test-only hooks; production builds pass none (see `workers/faults.ts`). */
export interface EngineHooks {
  afterStep?(step: number, device: GPUDevice | undefined): void | Promise<void>;
}

/** The diffusion engine as it runs inside the worker. */
export function createEngine(hooks: EngineHooks = {}): Engine {
  let runtime: RuntimeOptions | undefined;
  let lostReason: string | undefined;
  let loaded: LoadedModel | undefined;
  const cancelled = new Set<string>();

  const requireRuntime = () => {
    if (!runtime) throw new Error('Engine used before init()');
    return runtime;
  };

  return {
    async init(choice, onDeviceLost): Promise<EngineInfo> {
      const base = {
        ortVersion: ort.env.versions.web ?? 'unknown',
        crossOriginIsolated: self.crossOriginIsolated,
        threads: ort.env.wasm.numThreads ?? 1,
      };
      if (choice === 'wasm') {
        runtime = { ort, backend: 'wasm' };
        return { ...base, backend: 'wasm', fallbackReason: 'CPU (wasm) was chosen in the settings.' };
      }
      const acquired = await acquireDevice();
      if (!acquired.ok) {
        runtime = { ort, backend: 'wasm' };
        return { ...base, backend: 'wasm', fallbackReason: acquired.reason };
      }
      const { device } = acquired;
      void device.lost.then((info) => {
        lostReason = info.message || info.reason || 'unknown';
        onDeviceLost(lostReason);
      });
      runtime = { ort, backend: 'webgpu', device };
      return { ...base, backend: 'webgpu', adapter: acquired.adapter };
    },

    loadModel: (source, onProgress) =>
      serialLoads(async () => {
        const rt = requireRuntime();
        if (source.manifest.precision === 'fp16' && rt.backend === 'webgpu' && !rt.device?.features.has('shader-f16')) {
          throw new UnsupportedModelError(source.manifest.name, 'its fp16 weights need the WebGPU feature "shader-f16", which this GPU lacks.');
        }
        if (loaded) {
          const previous = loaded;
          loaded = undefined;
          await previous.components.release();
        }
        const [tokenizer, schedulerConfig] = await Promise.all([loadTokenizer(source), loadSchedulerConfig(source)]);
        const names = Object.keys(COMPONENT_FILES) as ComponentName[];
        const sessions: Partial<Record<ComponentName, Session>> = {};
        try {
          // One component at a time, so at most one component's staging memory is alive.
          for (const [index, name] of names.entries()) {
            const start = performance.now();
            const { session, readMs, bytes } = await loadComponent(rt, source, name);
            sessions[name] = session;
            const from = source.kind === 'store' ? 'indexeddb' : 'network';
            onProgress({ phase: 'load', component: name, index: index + 1, count: names.length, ms: performance.now() - start, readMs, bytes, from });
          }
        } catch (error) {
          for (const session of Object.values(sessions)) await session.release();
          throw error;
        }
        loaded = {
          source,
          components: wrapSessions(rt, sessions as Record<ComponentName, Session>),
          tokenizer,
          schedulerConfig,
          vaeScalingFactor: source.manifest.vaeScalingFactor,
        };
      }),

    async generate(job: Job, onProgress: (progress: Progress) => void, resume?: Checkpoint): Promise<GenerateResult> {
      const model = loaded;
      if (!model || model.source.manifest.id !== job.modelId) throw new Error(`Model ${job.modelId} is not loaded`);
      validateSettings(job.settings, model.source.manifest.sizes);
      const started = performance.now();
      const runBefore = model.components.timings.sessionRunMs;
      const unetBefore = model.components.timings.unetRuns;
      cancelled.delete(job.id);
      try {
        await txt2img(
          model,
          job.id,
          job.settings,
          {
            onEncoded: () => onProgress({ phase: 'encode', jobId: job.id }),
            onStep: async ({ checkpoint, preview, step, steps, imageIndex, stepMs }) => {
              onProgress(
                transfer({ phase: 'denoise', jobId: job.id, imageIndex, step, steps, stepMs, preview, checkpoint }, [
                  checkpoint.latents.buffer,
                  preview.rgba.buffer,
                ]),
              );
              await hooks.afterStep?.(step, runtime?.device);
            },
            onDecode: (imageIndex) => onProgress({ phase: 'decode', jobId: job.id, imageIndex }),
            onImage: async ({ imageIndex, seed, width, height, sample }) => {
              const png = await encodePng(decodedToRgba(sample, width, height), width, height, { settings: { ...job.settings, seed }, model: job.modelId });
              onProgress({ phase: 'image', jobId: job.id, image: { jobId: job.id, imageIndex, seed, width, height, png } });
            },
            isCancelled: () => cancelled.has(job.id),
          },
          resume,
        );
      } catch (error) {
        // After a loss ORT fails or hangs; a failure is reported as the loss it is, so the job is resumed, not failed.
        if (lostReason !== undefined) throw new DeviceLostError(lostReason);
        throw error;
      } finally {
        cancelled.delete(job.id);
      }
      onProgress({ phase: 'done', jobId: job.id });
      return {
        timings: {
          totalMs: performance.now() - started,
          sessionRunMs: model.components.timings.sessionRunMs - runBefore,
          unetRuns: model.components.timings.unetRuns - unetBefore,
        },
      };
    },

    cancel(jobId) {
      cancelled.add(jobId);
    },

    async dispose() {
      const previous = loaded;
      loaded = undefined;
      await previous?.components.release();
    },
  };
}
