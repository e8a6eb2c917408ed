import { describe, expect, it } from 'vitest';
import { manifest } from '../../scripts/tiny-model/configs.ts';
import { imageInputSupport } from './image-input-support.ts';

const file = (path: string) => ({ path, size: 1, sha256: '0'.repeat(64) });
const withEncoder = manifest('m', 'My model', [file('unet/model.onnx'), file('vae_encoder/model.onnx')]);
const without = manifest('m', 'My model', [file('unet/model.onnx')]);

describe('image input support', () => {
  it('turns image to image off, with the reason, for a model without a VAE encoder', () => {
    expect(imageInputSupport(without, undefined)).toEqual({
      ok: false,
      reason: 'My model has no VAE encoder (vae_encoder/model.onnx), so it cannot start from a picture: image to image and inpainting are off.',
    });
    expect(imageInputSupport(undefined, undefined).ok).toBe(false);
  });

  it('says when the seed does not fix the result, and when the model needs a mask', () => {
    expect(imageInputSupport(withEncoder, undefined)).toEqual({ ok: true });
    expect(imageInputSupport(withEncoder, { encoder: 'distribution', inpaintingUnet: false })).toEqual({ ok: true });
    expect(imageInputSupport(withEncoder, { encoder: 'sample', inpaintingUnet: true })).toEqual({
      ok: true,
      note: "This model's VAE encoder draws its own noise: results from a picture are not reproducible from the seed. This is an inpainting model: it needs a mask.",
    });
  });
});
