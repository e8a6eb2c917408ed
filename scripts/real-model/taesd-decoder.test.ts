import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { parameterCount, RealGraphBuilder } from './graph.ts';
import { buildTaesdDecoder } from './taesd-decoder.ts';

ort.env.wasm.numThreads = 1;

// madebyollin/taesd's decoder, counted with sum(p.numel()) (docs/previews.md, "TAESD at real size").
const TAESD_DECODER_PARAMETERS = 1_222_531;

describe("TAESD's decoder at its real shape", () => {
  it('has the published parameter count, its weights in 3x3 convs at 64 channels', () => {
    const g = buildTaesdDecoder(new RealGraphBuilder('fp32'));
    // Beside the weights: the clamp's 3, the 2 and 1 of [0, 1] -> [-1, 1], and three Resize scales.
    expect(parameterCount(g) - 3 - 3 * 4).toBe(TAESD_DECODER_PARAMETERS);
    const convs = g.graphNodes().filter((node) => node.opType === 'Conv');
    expect(convs).toHaveLength(1 + 10 * 3 + 3 + 1);
    expect(g.graphNodes().filter((node) => node.opType === 'Resize')).toHaveLength(3);
  });

  it('runs in ONNX Runtime, taking latents and giving RGB at 8x their size', async () => {
    const bytes = buildTaesdDecoder(new RealGraphBuilder('fp32', 1)).encode('taesd_decoder');
    const session = await ort.InferenceSession.create(bytes);
    const latents = Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.sin(i));
    const { sample } = await session.run({ latent_sample: new ort.Tensor('float32', latents, [1, 4, 2, 3]) });
    expect(sample.dims).toEqual([1, 3, 16, 24]);
    expect((sample.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });
});
