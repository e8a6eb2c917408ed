/** Whether a model can start from a picture, and what the form says about it. Pure. */
import type { ImageInputFacts } from '../shared/engine-api.ts';
import type { ModelManifest } from '../shared/model.ts';
import { startsFromPicture } from '../shared/networks.ts';

export type ImageInputSupport = { ok: true; note?: string } | { ok: false; reason: string };

/** From the manifest (is there a VAE encoder?) and, once the engine loaded it, what loading found out. */
export function imageInputSupport(manifest: ModelManifest | undefined, facts: ImageInputFacts | undefined): ImageInputSupport {
  if (!manifest) return { ok: false, reason: 'No model is loaded.' };
  if (!startsFromPicture(manifest.files.map((file) => file.path))) {
    return { ok: false, reason: `${manifest.name} has no VAE encoder (vae_encoder/model.onnx), so it cannot start from a picture: image to image and inpainting are off.` };
  }
  const notes = [
    facts?.encoder === 'sample' && "This model's VAE encoder draws its own noise: results from a picture are not reproducible from the seed.",
    facts?.inpaintingUnet && 'This is an inpainting model: it needs a mask.',
  ].filter((note): note is string => typeof note === 'string');
  return notes.length > 0 ? { ok: true, note: notes.join(' ') } : { ok: true };
}
