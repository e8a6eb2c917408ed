/**
 * What one TAESD preview costs on the CPU: TAESD's decoder at its real shape
 * (random weights, scripts/real-model/taesd-decoder.ts) on onnxruntime-web's
 * wasm backend in Node, one thread, with the session options the worker uses,
 * as docs/real-size.md measured the real-shape UNet step.
 *
 *   tsx bench/taesd-wasm.ts [size ...]   (image sizes, default 64 512)
 */
import * as ort from 'onnxruntime-web';
import { RealGraphBuilder } from '../scripts/real-model/graph.ts';
import { buildTaesdDecoder } from '../scripts/real-model/taesd-decoder.ts';

const RUNS = 3;

ort.env.wasm.numThreads = 1;
const sizes = process.argv.slice(2).map(Number);
const bytes = buildTaesdDecoder(new RealGraphBuilder('fp32', 1)).encode('taesd_decoder');
const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'basic' });
for (const size of sizes.length ? sizes : [64, 512]) {
  const latent = size / 8;
  const data = Float32Array.from({ length: 4 * latent * latent }, (_, i) => Math.sin(i));
  const times: number[] = [];
  // The first run allocates its buffers; the fastest of the rest is the steady cost.
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now();
    await session.run({ latent_sample: new ort.Tensor('float32', data, [1, 4, latent, latent]) });
    times.push(performance.now() - start);
  }
  console.log(`TAESD decode ${size}x${size}: fastest ${Math.min(...times.slice(1)).toFixed(0)} ms of ${RUNS} (first ${times[0].toFixed(0)} ms)`);
}
await session.release();
