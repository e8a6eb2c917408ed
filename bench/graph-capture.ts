/**
 * What ORT's WebGPU graph capture would buy a UNet step, on the tiny model in
 * a plain page (no app): one step with the image's dimensions left free and
 * CPU inputs and output (as Hearth runs today), with them fixed by
 * `freeDimensionOverrides`, and fixed plus `enableGraphCapture` with every
 * input and output in a GPU buffer of its own, replayed each step. Capture
 * needs the fixed dimensions: without them the graph's Shape -> Reshape
 * nodes run on the CPU and ORT refuses it (docs/ort-web.md, "Graph capture").
 * On SwiftShader the GPU is the CPU, so only a real GPU shows what capture
 * saves: the CPU time ORT spends encoding each kernel's dispatch.
 */
import type { Browser } from '@playwright/test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { portFor } from '../playwright.config.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { serve } from '../scripts/serve.ts';
import type { Metric } from './report.ts';

const PORT = portFor(4196);
const LATENT = 16; // 128x128 pixels
const STEPS = 5;
// The build the app runs in Chromium (`workers/runtime/ort-build.ts`).
const ORT_FILES = ['ort.jspi.min.mjs', 'ort-wasm-simd-threaded.jspi.mjs', 'ort-wasm-simd-threaded.jspi.wasm'];

/** A folder with ORT's JSPI WebGPU build, the tiny UNet and a page that exposes `ort`. */
function pageFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-capture-'));
  const ortDist = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), '..', 'dist');
  for (const file of ORT_FILES) copyFileSync(join(ortDist, file), join(dir, file));
  writeFileSync(join(dir, 'unet.onnx'), tinyModelFiles().get('unet/model.onnx')!);
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><meta charset="utf-8"><title>graph capture</title><script type="module">import * as ort from './${ORT_FILES[0]}'; ort.env.wasm.numThreads = 1; self.ort = ort;</script>`,
  );
  return dir;
}

interface StepTimes {
  freeMs: number;
  fixedMs: number;
  capturedMs: number;
  /** Largest difference between the captured replay's output and the free session's, for new input data. */
  maxDifference: number;
}

export async function graphCapture(browser: Browser): Promise<Metric[]> {
  const dir = pageFolder();
  const server = await serve({ dir, port: PORT, isolate: true });
  const page = await browser.newPage();
  try {
    // tsx compiles the evaluated function with esbuild's keepNames, whose `__name` helper the page lacks.
    await page.addInitScript({ content: 'self.__name = (f) => f;' });
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.waitForFunction(() => 'ort' in self);
    const times: StepTimes = await page.evaluate(
      async ({ latent, steps }) => {
        const ort = (self as unknown as { ort: typeof import('onnxruntime-web') }).ort;
        const adapter = (await navigator.gpu.requestAdapter())!;
        const device = await adapter.requestDevice();
        const graph = new Uint8Array(await (await fetch('unet.onnx')).arrayBuffer());
        const base = { executionProviders: [{ name: 'webgpu' as const, device }], graphOptimizationLevel: 'basic' as const };
        const fixedDims = { batch: 1, height: latent, width: latent, sequence: 77 };
        const free = await ort.InferenceSession.create(graph, base);
        const fixed = await ort.InferenceSession.create(graph, { ...base, freeDimensionOverrides: fixedDims });
        const text = free.inputMetadata.find((input) => input.name === 'encoder_hidden_states')!;
        const textShape = [1, 77, Number(text.isTensor ? text.shape[2] : 0)];
        const sampleShape = [1, 4, latent, latent];
        const sample = new Float32Array(4 * latent * latent).fill(0.1);
        const embeddings = new Float32Array(textShape[1] * textShape[2]).fill(0.01);
        const timestep = new BigInt64Array([999n]);
        const cpuStep = async (session: typeof free) => {
          const result = await session.run({
            sample: new ort.Tensor('float32', sample, sampleShape),
            timestep: new ort.Tensor('int64', timestep, [1]),
            encoder_hidden_states: new ort.Tensor('float32', embeddings, textShape),
          });
          return result.out_sample.data as Float32Array;
        };
        // The first run of each compiles shaders (and, captured, records the commands): untimed.
        const meanMs = async (step: () => Promise<unknown>) => {
          await step();
          const start = performance.now();
          for (let n = 0; n < steps; n++) await step();
          return (performance.now() - start) / steps;
        };
        const freeMs = await meanMs(() => cpuStep(free));
        const fixedMs = await meanMs(() => cpuStep(fixed));
        // Replay reuses the buffers of the captured run: every input and the output live in buffers of their own, rewritten or read each step.
        const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
        const buffer = (bytes: number) => device.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage });
        const [sampleBuffer, timestepBuffer, textBuffer, outBuffer] = [buffer(sample.byteLength), buffer(8), buffer(embeddings.byteLength), buffer(sample.byteLength)];
        const readBack = device.createBuffer({ size: outBuffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(textBuffer, 0, embeddings);
        const feeds = {
          sample: ort.Tensor.fromGpuBuffer(sampleBuffer, { dataType: 'float32', dims: sampleShape }),
          timestep: ort.Tensor.fromGpuBuffer(timestepBuffer, { dataType: 'int64', dims: [1] }),
          encoder_hidden_states: ort.Tensor.fromGpuBuffer(textBuffer, { dataType: 'float32', dims: textShape }),
        };
        const fetches = { out_sample: ort.Tensor.fromGpuBuffer(outBuffer, { dataType: 'float32', dims: sampleShape }) };
        // Created after the others have run: created before them, its replays were handed no input buffers.
        const captured = await ort.InferenceSession.create(graph, { ...base, freeDimensionOverrides: fixedDims, enableGraphCapture: true });
        const capturedStep = async () => {
          device.queue.writeBuffer(sampleBuffer, 0, sample);
          device.queue.writeBuffer(timestepBuffer, 0, timestep);
          await captured.run(feeds, fetches);
          const encoder = device.createCommandEncoder();
          encoder.copyBufferToBuffer(outBuffer, 0, readBack, 0, outBuffer.size);
          device.queue.submit([encoder.finish()]);
          await readBack.mapAsync(GPUMapMode.READ);
          const out = new Float32Array(readBack.getMappedRange().slice(0, sample.byteLength));
          readBack.unmap();
          return out;
        };
        const capturedMs = await meanMs(capturedStep);
        sample.fill(-0.3);
        const [replayed, expected] = [await capturedStep(), await cpuStep(free)];
        const maxDifference = replayed.reduce((most, value, i) => Math.max(most, Math.abs(value - expected[i])), 0);
        for (const session of [free, fixed, captured]) await session.release();
        device.destroy();
        return { freeMs, fixedMs, capturedMs, maxDifference };
      },
      { latent: LATENT, steps: STEPS },
    );
    const conditions = { backend: 'webgpu (SwiftShader)', model: 'tiny-test UNet', image: `${LATENT * 8}x${LATENT * 8}`, steps: STEPS, freeStepMs: Math.round(times.freeMs), maxDifference: times.maxDifference };
    return [
      {
        name: 'UNet step with freeDimensionOverrides / free (webgpu, tiny)',
        value: times.fixedMs / times.freeMs,
        unit: 'x',
        target: 'report',
        met: true,
        conditions: { ...conditions, fixedStepMs: Math.round(times.fixedMs) },
      },
      {
        name: 'UNet step with freeDimensionOverrides + graph capture, GPU inputs and output / free (webgpu, tiny)',
        value: times.capturedMs / times.freeMs,
        unit: 'x',
        target: 'report',
        // A replay that ignored new inputs would be fast and wrong.
        met: times.maxDifference < 1e-4,
        conditions: { ...conditions, capturedStepMs: Math.round(times.capturedMs) },
      },
    ];
  } finally {
    await page.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
