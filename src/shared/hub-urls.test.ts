import { describe, expect, it } from 'vitest';
import { hfFileUrl, hfPointerUrl } from './hub-urls.ts';

describe('Hugging Face URLs', () => {
  it('resolve a file at a revision', () =>
    expect(hfFileUrl('schmuell/sd-turbo-ort-web', 'main', 'unet/model.onnx')).toBe(
      'https://huggingface.co/schmuell/sd-turbo-ort-web/resolve/main/unet/model.onnx',
    ));
  it('serve the raw pointer at a revision', () =>
    expect(hfPointerUrl('nmkd/stable-diffusion-1.5-onnx-fp16', 'refs/pr/1', 'unet/weights.pb')).toBe(
      'https://huggingface.co/nmkd/stable-diffusion-1.5-onnx-fp16/raw/refs%2Fpr%2F1/unet/weights.pb',
    ));
});
