import { describe, expect, it } from 'vitest';
import type { ModelManifest, ModelSource } from '../shared/model.ts';
import { withPreviewDecoder, type SharedPreviewDecoder } from './preview-source.ts';

const manifest = (id: string, paths: string[], vaeScalingFactor = 0.18215): ModelManifest => ({
  id,
  name: id,
  description: '',
  precision: 'fp16',
  files: paths.map((path) => ({ path, size: 1, sha256: '0'.repeat(64) })),
  vaeScalingFactor,
  defaults: { width: 512, height: 512, steps: 4, guidance: 0, scheduler: 'euler' },
  sizes: { min: 256, max: 768, multiple: 64 },
});

const taesd: SharedPreviewDecoder = { file: { kind: 'shared', id: 'taesd' }, vaeScalingFactor: 0.18215 };

describe('withPreviewDecoder', () => {
  it("uses the model's own preview decoder first, where the model's files are", () => {
    const builtIn: ModelSource = { kind: 'url', baseUrl: 'http://app/models/tiny/', manifest: manifest('tiny', ['unet/model.onnx', 'preview_decoder/model.onnx']) };
    expect(withPreviewDecoder(builtIn, [taesd]).previewDecoder).toEqual({ kind: 'url', baseUrl: 'http://app/models/tiny/', path: 'preview_decoder/model.onnx' });
    const stored: ModelSource = { kind: 'store', modelId: 'mine', manifest: manifest('mine', ['preview_decoder/model.onnx']) };
    expect(withPreviewDecoder(stored, []).previewDecoder).toEqual({ kind: 'store', modelId: 'mine', path: 'preview_decoder/model.onnx' });
  });

  it('uses TAESD for Stable Diffusion 1.x/2.x latents only, and nothing when none is stored', () => {
    const sd: ModelSource = { kind: 'store', modelId: 'sd-turbo', manifest: manifest('sd-turbo', ['unet/model.onnx']) };
    expect(withPreviewDecoder(sd, [taesd]).previewDecoder).toEqual(taesd.file);
    expect(withPreviewDecoder(sd, []).previewDecoder).toBeUndefined();
    const sdxl: ModelSource = { kind: 'store', modelId: 'sdxl', manifest: manifest('sdxl', ['unet/model.onnx'], 0.13025) };
    expect(withPreviewDecoder(sdxl, [taesd]).previewDecoder).toBeUndefined();
  });
});
