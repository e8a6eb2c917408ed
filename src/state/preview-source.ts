import { PREVIEW_DECODER_PATH } from '../shared/manifest.ts';
import type { ModelSource, PreviewDecoderFile } from '../shared/model.ts';

/** A preview decoder stored on its own (TAESD), for every model whose latents it reads. */
export interface SharedPreviewDecoder {
  file: PreviewDecoderFile;
  /** The latent space it decodes, named by the VAE scaling factor of the models that use it (0.18215: SD 1.x/2.x). */
  vaeScalingFactor: number;
}

/**
 * `source` with the preview decoder the engine should use: the model's own
 * when its manifest lists one, else the first shared one for its latent space, else
 * none (previews are then the latent approximation).
 */
export function withPreviewDecoder<S extends ModelSource>(source: S, shared: readonly SharedPreviewDecoder[]): S {
  const path = PREVIEW_DECODER_PATH;
  let previewDecoder: PreviewDecoderFile | undefined;
  if (source.manifest.files.some((file) => file.path === path)) {
    previewDecoder = source.kind === 'url' ? { kind: 'url', baseUrl: source.baseUrl, path } : { kind: 'store', modelId: source.modelId, path };
  } else {
    previewDecoder = shared.find((decoder) => decoder.vaeScalingFactor === source.manifest.vaeScalingFactor)?.file;
  }
  return previewDecoder ? { ...source, previewDecoder } : source;
}
