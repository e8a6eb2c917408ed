import { ModelFileError } from '../../src/shared/errors.ts';
import { PREVIEW_DECODER_PATH } from '../../src/shared/manifest.ts';
import type { PreviewDecoder } from '../pipeline/preview.ts';
import { createSession, releaseSession, type RuntimeOptions } from './components.ts';
import { ortQueue } from './serial.ts';

/** A preview decoder's graph has a VAE decoder's input and output names (diffusers' ONNX export of `AutoencoderTiny`). */
export const PREVIEW_DECODER_SPEC = { path: PREVIEW_DECODER_PATH, inputs: ['latent_sample'], output: 'sample' } as const;

/** A preview decoder in its own ORT session; its runs count as session time, like the pipeline's. */
export interface LoadedPreviewDecoder extends PreviewDecoder {
  release(): Promise<void>;
}

/**
 * Creates the preview decoder's session. It is separate from the model's
 * three networks but shares their queue: ORT's native WebGPU EP hangs on
 * overlapping calls (docs/ort-web.md).
 */
export async function createPreviewDecoder(runtime: RuntimeOptions, bytes: Uint8Array, timings: { sessionRunMs: number }): Promise<LoadedPreviewDecoder> {
  const session = await createSession(runtime, PREVIEW_DECODER_SPEC, bytes);
  const { output } = PREVIEW_DECODER_SPEC;
  return {
    async decode(latents, shape) {
      const tensor = await ortQueue(async () => {
        const start = performance.now();
        const result = await session.run({ latent_sample: new runtime.ort.Tensor('float32', latents, shape) }, [output]);
        timings.sessionRunMs += performance.now() - start;
        return result[output];
      });
      const [, channels, height, width] = tensor.dims;
      const sample = (await tensor.getData(true)) as Float32Array;
      if (channels !== 3) throw new ModelFileError(PREVIEW_DECODER_SPEC.path, `gives ${channels} channels where an RGB image has 3`);
      return { sample, width, height };
    },
    release: () => releaseSession(session),
  };
}
