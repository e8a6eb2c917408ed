/** A model as its manifest describes it, and where the worker finds its files. */
import type { GenerationSettings, SizeRange } from './settings.ts';

/** One file of a model, as its manifest lists it. */
export interface ModelFile {
  path: string;
  size: number;
  sha256: string;
  /**
   * True for an external-data file (`weights.pb`, `model.onnx_data`) of the
   * `.onnx` graph in the same folder; ORT gets it under its path relative to
   * that folder, the name the graph records.
   */
  externalData?: true;
}

/** A model's manifest (`hearth-model.json`), checked by `parseManifest`. */
export interface ModelManifest {
  id: string;
  name: string;
  description: string;
  precision: 'fp32' | 'fp16';
  files: ModelFile[];
  vaeScalingFactor: number;
  defaults: Pick<GenerationSettings, 'width' | 'height' | 'steps' | 'guidance' | 'scheduler'>;
  sizes: SizeRange;
  /**
   * Bytes of the model's largest weight tensor: the GPU must hold it in one
   * buffer and bind it whole, so a GPU whose `maxBufferSize` or
   * `maxStorageBufferBindingSize` is lower is refused before the download.
   * Optional: a manifest without it is checked only when the model loads.
   */
  largestTensorBytes?: number;
  /**
   * The UNet's input channels (diffusers' `unet/config.json` `in_channels`):
   * 9 for an inpainting UNet. Needed where the graph leaves the `sample`
   * channel dimension open, as diffusers' and optimum's exporters do, since
   * ORT then cannot say it; a graph that fixes it must agree.
   */
  unetInChannels?: UnetInChannels;
}

/** A UNet's input channels: 4 latent channels, or 9 for inpainting (latents, mask, masked-picture latents). */
export const UNET_IN_CHANNELS = [4, 9] as const;
export type UnetInChannels = (typeof UNET_IN_CHANNELS)[number];
export const isUnetInChannels = (value: unknown): value is UnetInChannels => UNET_IN_CHANNELS.includes(value as UnetInChannels);

/**
 * Where the diffusion worker finds a model's files: a folder URL holding
 * `hearth-model.json` (the built-in model, served by the app), or the model
 * store in IndexedDB, which the worker reads itself (same origin).
 */
export type ModelSource =
  | { kind: 'url'; baseUrl: string; manifest: ModelManifest; previewDecoder?: PreviewDecoderFile }
  | { kind: 'store'; modelId: string; manifest: ModelManifest; previewDecoder?: PreviewDecoderFile };

/**
 * The preview decoder for a model's latents: the model's own file, where the
 * app serves it (the built-in model) or in the model store, or one stored on
 * its own for every model of its latent space (`shared`: TAESD for SD 1.x/2.x).
 */
export type PreviewDecoderFile =
  | { kind: 'url'; baseUrl: string; path: string }
  | { kind: 'store'; modelId: string; path: string }
  | { kind: 'shared'; id: string };
