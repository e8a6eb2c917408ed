import { describe, expect, it } from 'vitest';
import { loadAllowanceMs } from './load-allowance.ts';

const files = (sizes: Record<string, number>) => ({ files: Object.entries(sizes).map(([path, size]) => ({ path, size, sha256: '' })) });

describe('loadAllowanceMs', () => {
  it('gives a tiny model the floor', () => {
    expect(loadAllowanceMs(files({ 'unet/model.onnx': 400_000 }), 60_000)).toBe(60_000);
  });

  it("follows the largest network, its external data included, not the model's sum", () => {
    const unet = { 'unet/model.onnx': 1e6, 'unet/model.onnx_data': 3.46e9 };
    const alone = loadAllowanceMs(files(unet), 60_000);
    expect(loadAllowanceMs(files({ ...unet, 'text_encoder/model.onnx': 1.36e9, 'vae_decoder/model.onnx': 198e6 }), 60_000)).toBe(alone);
    // The real-shape fp32 SD-Turbo UNet: minutes, well past the floor, well short of for ever.
    expect(alone).toBeGreaterThan(5 * 60_000);
    expect(alone).toBeLessThan(20 * 60_000);
  });
});
