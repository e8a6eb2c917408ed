import { checkCheckpoint, CURRENT_BUILD, LATENT_CHANNELS, VAE_FACTOR, type Checkpoint } from '../../src/shared/checkpoint.ts';
import { CancelledError, CheckpointError, InvalidSettingError } from '../../src/shared/errors.ts';
import { denoisingSteps, validateImageInput } from '../../src/shared/image-input.ts';
import type { Job } from '../../src/shared/job.ts';
import type { Preview } from '../../src/shared/progress.ts';
import { DEFAULT_PREVIEW_EVERY, type GenerationSettings, type PreviewEvery } from '../../src/shared/settings.ts';
import type { DiffusionComponents, Shape4, TextEmbeddings } from './components.ts';
import { decodedToRgba } from './image.ts';
import { encodeInput, startFromImage, type EncodedInput, type ImageStart } from './image-start.ts';
import { previewCadence, type PreviewCadence } from './preview-cadence.ts';
import { renderPreview, type PreviewDecoder } from './preview.ts';
import { TorchGenerator } from './random.ts';
import { createScheduler, schedulerConfigFor, type SchedulerConfig } from './schedulers/index.ts';
import type { ChunkLimit } from './prompt-chunks.ts';
import { encodePrompts, planText, promptsFor } from './prompt-conditioning.ts';
import type { ClipTokenizer } from './tokenizer.ts';

export interface DiffusionModel {
  components: DiffusionComponents;
  tokenizer: ClipTokenizer;
  /** How many 77-token chunks of text the UNet takes. */
  textLimit: ChunkLimit;
  schedulerConfig: SchedulerConfig;
  vaeScalingFactor: number;
  /** Full-size previews when present; without it, previews are the latent approximation. */
  previewDecoder?: PreviewDecoder;
}

export interface StepReport {
  imageIndex: number;
  step: number;
  steps: number;
  stepMs: number;
  checkpoint: Checkpoint;
  /** Whether a preview of this step follows (`onPreview`). */
  previewing: boolean;
}

export interface PreviewReport {
  imageIndex: number;
  step: number;
  preview: Preview;
  /** What making `preview` took: the preview decoder's run and the RGBA conversion. */
  previewMs: number;
}

export interface GenerateHooks {
  onEncoded?(): void;
  /** Awaited before the next step starts. */
  onStep(report: StepReport): void | Promise<void>;
  onPreview?(report: PreviewReport): void;
  onDecode?(imageIndex: number): void;
  /** The finished picture, RGBA, with the original composited back where inpainting kept it. */
  onImage(image: { imageIndex: number; seed: number; width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> }): Promise<void>;
  isCancelled(): boolean;
}

/** diffusers: `do_classifier_free_guidance = guidance_scale > 1`, except for UNets that embed the guidance (LCM). */
export function usesGuidance(settings: GenerationSettings, embedsGuidance = false): boolean {
  return settings.guidance > 1 && !embedsGuidance;
}

/** `uncond + g * (cond - uncond)` over a `[uncond, cond]` batch. */
export function applyGuidance(noise: Float32Array, guidance: number): Float32Array<ArrayBuffer> {
  const half = noise.length / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = noise[i] + guidance * (noise[half + i] - noise[i]);
  return out;
}

function doubled(sample: Float32Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(sample.length * 2);
  out.set(sample, 0);
  out.set(sample, sample.length);
  return out;
}

/** The first latents of image `imageIndex`: `randn(seed + index) * initNoiseSigma`. */
export function initialLatents(generator: TorchGenerator, count: number, initNoiseSigma: number): Float32Array<ArrayBuffer> {
  const noise = generator.randn(count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = noise[i] * initNoiseSigma;
  return out;
}

/** `[latents rows..., extra]` per batch row along the channels: a 9-channel UNet's `[latents, mask, masked-image latents]`. */
function withExtraChannels(input: Float32Array, rows: number, extra: Float32Array): Float32Array<ArrayBuffer> {
  const rowLength = input.length / rows;
  const out = new Float32Array(input.length + rows * extra.length);
  for (let row = 0; row < rows; row++) {
    const at = row * (rowLength + extra.length);
    out.set(input.subarray(row * rowLength, (row + 1) * rowLength), at);
    out.set(extra, at + rowLength);
  }
  return out;
}

/** What of a job the pipeline reads. */
export type PipelineJob = Pick<Job, 'id' | 'settings' | 'input'>;

/**
 * Runs a job: for each image of the batch, the denoising loop from a seed (or
 * from `resume`), then VAE decode. Text to image starts from noise; with
 * `job.input` it is image to image (diffusers' StableDiffusionImg2ImgPipeline)
 * or, with a mask, inpainting (StableDiffusionInpaintPipeline), running the
 * last `int(steps * strength)` steps. Every step reports a checkpoint that
 * lets `resume` continue bit-exactly. A `resume` that does not fit the job or
 * the schedulers is a CheckpointError before any work starts.
 */
export async function generateImages(
  model: DiffusionModel,
  job: PipelineJob,
  hooks: GenerateHooks,
  resume?: Checkpoint,
  previewEvery: PreviewEvery = DEFAULT_PREVIEW_EVERY,
): Promise<void> {
  const { settings, input } = job;
  if (input) validateImageInput(input, settings.steps, settings.width, settings.height);
  if (resume) {
    const check = checkCheckpoint(resume, job);
    if (!check.ok) throw new CheckpointError(check.reason);
  }
  const { components } = model;
  if (!input && components.unetChannels !== LATENT_CHANNELS) {
    throw new InvalidSettingError('image', 'This is an inpainting model: give it an input image and paint a mask of the region to repaint.');
  }
  const encoded = input && (await encodeInput(components.imageEncoder, input, components.unetChannels));
  const cadence = previewCadence(previewEvery);
  const prompts = promptsFor(settings, usesGuidance(settings, components.embedsGuidance));
  const text = await encodePrompts(components, planText(model.tokenizer, prompts, model.textLimit));
  hooks.onEncoded?.();
  try {
    for (let imageIndex = resume?.imageIndex ?? 0; imageIndex < settings.batchCount; imageIndex++) {
      const from = resume?.imageIndex === imageIndex ? resume : undefined;
      await denoiseAndDecode(model, job, encoded, imageIndex, text, hooks, cadence, from);
    }
  } finally {
    text.dispose();
  }
}

async function denoiseAndDecode(
  model: DiffusionModel,
  job: PipelineJob,
  encoded: EncodedInput | undefined,
  imageIndex: number,
  text: TextEmbeddings,
  hooks: GenerateHooks,
  cadence: PreviewCadence,
  resume: Checkpoint | undefined,
): Promise<void> {
  const { id: jobId, settings, input } = job;
  const latentW = settings.width / VAE_FACTOR;
  const latentH = settings.height / VAE_FACTOR;
  const shape: Shape4 = [1, LATENT_CHANNELS, latentH, latentW];
  const seed = (settings.seed + imageIndex) % 2 ** 32;
  const scheduler = createScheduler(schedulerConfigFor(settings.scheduler, model.schedulerConfig));
  scheduler.setTimesteps(settings.steps);
  const generator = new TorchGenerator(seed);
  let start = 0;
  let fromImage: ImageStart | undefined;
  if (input && encoded) {
    start = denoisingSteps(settings.steps, input.strength).start;
    // diffusers' get_timesteps: the schedule entered at its begin index.
    scheduler.setBeginIndex(start);
    // A resumed run draws the same start again, for the noise and masks its steps need, then takes the checkpoint's generator.
    fromImage = startFromImage(encoded, input, scheduler, start, generator, model.vaeScalingFactor, model.components.unetChannels);
  }
  let latents: Float32Array;
  if (resume) {
    latents = resume.latents;
    try {
      scheduler.setState(resume.scheduler);
      generator.setState(resume.generator);
    } catch (error) {
      // The shapes were checked; what is left is a state for another sampler or solver order.
      throw new CheckpointError(error instanceof Error ? error.message : String(error));
    }
    start = resume.step;
  } else {
    latents = fromImage?.latents ?? initialLatents(generator, LATENT_CHANNELS * latentH * latentW, scheduler.initNoiseSigma);
  }
  const guided = usesGuidance(settings, model.components.embedsGuidance);
  const unetShape: Shape4 = [text.batch, model.components.unetChannels, latentH, latentW];
  const unetExtra = fromImage?.unetExtra;
  for (let step = start; step < settings.steps; step++) {
    if (hooks.isCancelled()) throw new CancelledError();
    const stepStart = performance.now();
    const t = scheduler.timesteps[step];
    const scaled = scheduler.scaleModelInput(latents, t);
    const batch = guided ? doubled(scaled) : scaled;
    const unetInput = unetExtra ? withExtraChannels(batch, text.batch, unetExtra) : batch;
    const noise = await model.components.predictNoise(unetInput, unetShape, t, text, settings.guidance);
    const prediction = guided ? applyGuidance(noise, settings.guidance) : noise;
    latents = scheduler.step(prediction, t, latents, generator).prevSample;
    if (fromImage?.blend) latents = fromImage.blend(latents, step + 1 < settings.steps ? scheduler.timesteps[step + 1] : undefined);
    const stepMs = performance.now() - stepStart;
    const previewing = cadence.due(step + 1, settings.steps);
    // The step (and its checkpoint) is reported before its preview, which may take longer than the step itself.
    await hooks.onStep({
      imageIndex,
      step: step + 1,
      steps: settings.steps,
      stepMs,
      previewing,
      checkpoint: {
        build: CURRENT_BUILD,
        jobId,
        imageIndex,
        step: step + 1,
        latents: latents.slice(),
        scheduler: scheduler.getState(),
        generator: generator.getState(),
      },
    });
    if (!previewing) {
      cadence.record(stepMs);
      continue;
    }
    const previewStart = performance.now();
    const preview = await renderPreview(latents, shape, model.previewDecoder);
    const previewMs = performance.now() - previewStart;
    cadence.record(stepMs, previewMs);
    await hooks.onPreview?.({ imageIndex, step: step + 1, preview, previewMs });
  }
  if (hooks.isCancelled()) throw new CancelledError();
  hooks.onDecode?.(imageIndex);
  const scaled = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) scaled[i] = latents[i] / model.vaeScalingFactor;
  const sample = await model.components.decode(scaled, shape);
  const rgba = decodedToRgba(sample, settings.width, settings.height);
  await hooks.onImage({ imageIndex, seed, width: settings.width, height: settings.height, rgba: fromImage ? fromImage.finish(rgba) : rgba });
}
