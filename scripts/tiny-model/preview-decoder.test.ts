import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { evaluate } from './graph-eval.ts';
import { leastSquares } from './least-squares.ts';
import { createRng, seedFor } from './random.ts';
import { vaeDecoderGraph } from './vae-decoder.ts';

ort.env.wasm.numThreads = 1;

describe('what the preview decoder is fitted with', () => {
  it('graph-eval computes the tiny VAE decoder as ONNX Runtime does', async () => {
    const { graph } = vaeDecoderGraph(createRng(seedFor(1, 'vae_decoder')));
    const rng = createRng(7);
    const dims = [2, 4, 8, 8];
    const latents = Float32Array.from({ length: 2 * 4 * 8 * 8 }, () => rng.normal() * 5);
    const [mine] = evaluate(graph, { latent_sample: { dims, data: latents } }, ['sample']);
    const session = await ort.InferenceSession.create(graph.encode('vae_decoder'));
    const { sample } = await session.run({ latent_sample: new ort.Tensor('float32', latents, dims) });
    expect(mine.dims).toEqual(sample.dims);
    const theirs = sample.data as Float32Array;
    expect(Math.max(...mine.data.map((v, i) => Math.abs(v - theirs[i])))).toBeLessThan(1e-4);
    await session.release();
  });

  it('leastSquares recovers the weights that made the targets', () => {
    const rng = createRng(3);
    const [rows, features, targets] = [200, 5, 2];
    const x = Float64Array.from({ length: rows * features }, () => rng.normal());
    const w = Float64Array.from({ length: features * targets }, () => rng.normal());
    const y = new Float64Array(rows * targets);
    for (let r = 0; r < rows; r++) for (let t = 0; t < targets; t++) for (let f = 0; f < features; f++) y[r * targets + t] += x[r * features + f] * w[f * targets + t];
    const solved = leastSquares(x, y, rows, features, targets, 0);
    for (let i = 0; i < w.length; i++) expect(solved[i]).toBeCloseTo(w[i], 8);
  });
});
