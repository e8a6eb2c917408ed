/**
 * What `freeDimensionOverrides` would buy: UNet session creation and one step
 * with the image's dimensions fixed at creation against left free, on ORT's
 * wasm EP in Node (one thread, the same wasm the app runs), for the tiny model
 * and the half-width fp32 SD-Turbo shape (docs/ort-web.md, "Shapes").
 */
import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import type { Metric } from './report.ts';
import { halfWidthSdTurbo } from './load-memory.ts';

const LATENT = 8; // 64x64 pixels
const TEXT_TOKENS = 77;
const STEPS = 3;

interface Unet {
  name: string;
  graph: Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
}

/** Every free dimension of the UNet's inputs, fixed as one 64x64 image without guidance feeds it. */
const OVERRIDES = { batch: 1, height: LATENT, width: LATENT, sequence: TEXT_TOKENS };

/** One 64x64 image's inputs, the text's width read from the graph. */
function feeds(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const text = session.inputMetadata.find((input) => input.name === 'encoder_hidden_states');
  const textWidth = text?.isTensor ? Number(text.shape[2]) : NaN;
  return {
    sample: new ort.Tensor('float32', new Float32Array(4 * LATENT * LATENT).fill(0.1), [1, 4, LATENT, LATENT]),
    timestep: new ort.Tensor('int64', new BigInt64Array([999n]), [1]),
    encoder_hidden_states: new ort.Tensor('float32', new Float32Array(TEXT_TOKENS * textWidth).fill(0.01), [1, TEXT_TOKENS, textWidth]),
  };
}

/** Creation time and the mean of `STEPS` steps after a first (untimed) one. */
async function measure(unet: Unet, overrides: boolean): Promise<{ createMs: number; stepMs: number }> {
  const start = performance.now();
  const session = await ort.InferenceSession.create(unet.graph, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'basic',
    ...(unet.externalData ? { externalData: unet.externalData } : {}),
    ...(overrides ? { freeDimensionOverrides: OVERRIDES } : {}),
  });
  const createMs = performance.now() - start;
  const input = feeds(session);
  await session.run(input);
  const stepStart = performance.now();
  for (let step = 0; step < STEPS; step++) await session.run(input);
  const stepMs = (performance.now() - stepStart) / STEPS;
  await session.release();
  return { createMs, stepMs };
}

function halfWidthUnet(): Unet {
  const { manifest, files } = halfWidthSdTurbo();
  const read = (path: string) => new Uint8Array(readFileSync(files.get(path)!.disk));
  return { name: `${manifest.id} (half width)`, graph: read('unet/model.onnx'), externalData: [{ path: 'model.onnx_data', data: read('unet/model.onnx_data') }] };
}

export async function freeDimensions(): Promise<Metric[]> {
  ort.env.wasm.numThreads = 1;
  const unets: Unet[] = [{ name: 'tiny-test', graph: tinyModelFiles().get('unet/model.onnx')! }, halfWidthUnet()];
  const metrics: Metric[] = [];
  for (const unet of unets) {
    // The first create of a process pays for growing the wasm heap: untimed. Then interleaved, so the machine's other load falls on both alike.
    await measure(unet, false);
    const free = await measure(unet, false);
    const fixed = await measure(unet, true);
    const freeAgain = await measure(unet, false);
    const fixedAgain = await measure(unet, true);
    const mean = (a: number, b: number) => (a + b) / 2;
    const freeStep = mean(free.stepMs, freeAgain.stepMs);
    const fixedStep = mean(fixed.stepMs, fixedAgain.stepMs);
    metrics.push({
      name: `UNet step with freeDimensionOverrides / without (wasm, ${unet.name})`,
      value: fixedStep / freeStep,
      unit: 'x',
      target: 'report',
      met: true,
      conditions: {
        backend: 'wasm (Node, 1 thread)',
        image: '64x64',
        overrides: JSON.stringify(OVERRIDES),
        stepMsFree: Math.round(freeStep),
        stepMsFixed: Math.round(fixedStep),
        createMsFree: Math.round(mean(free.createMs, freeAgain.createMs)),
        createMsFixed: Math.round(mean(fixed.createMs, fixedAgain.createMs)),
      },
    });
  }
  return metrics;
}
