import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, PREVIEW_DECODER_PATH, requireModelFiles } from '../src/shared/manifest.ts';
import type { ModelManifest } from '../src/shared/model.ts';
import { padTokenIdFromConfig } from '../workers/pipeline/tokenizer.ts';
import { architecture, ARCHITECTURES, type ArchitectureId } from './real-model/architectures.ts';
import type { Precision } from './real-model/graph.ts';
import { writeRealModel } from './real-model/model-folder.ts';

const { onnx } = onnxProto;
ort.env.wasm.numThreads = 1;

const WIDTH_SCALE = 32;
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function written(arch: ArchitectureId, precision: Precision) {
  const dir = mkdtempSync(join(tmpdir(), `hearth-real-${arch}-${precision}-`));
  dirs.push(dir);
  return { dir, manifest: writeRealModel(dir, { arch, precision, widthScale: WIDTH_SCALE, previewDecoder: true }) };
}

async function session(dir: string, network: string, external: boolean): Promise<ort.InferenceSession> {
  const path = join(dir, network, 'model.onnx');
  const externalData = external ? [{ path: 'model.onnx_data', data: readFileSync(join(dir, network, 'model.onnx_data')) }] : undefined;
  return ort.InferenceSession.create(readFileSync(path), { externalData });
}

/** Largest magnitude and root-mean-square of an output, NaN when any value is not finite. */
function magnitude(tensor: ort.Tensor): { max: number; rms: number } {
  const values = tensor.data as Float32Array;
  let max = 0;
  let squares = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) return { max: NaN, rms: NaN };
    max = Math.max(max, Math.abs(v));
    squares += v * v;
  }
  return { max, rms: Math.sqrt(squares / values.length) };
}

// Outputs of a healthy random network: finite, neither vanished nor blown up (an fp16 overflow anywhere gives inf or NaN).
function expectSane(tensor: ort.Tensor): void {
  const { max, rms } = magnitude(tensor);
  expect(rms).toBeGreaterThan(0.05);
  expect(max).toBeLessThan(100);
}

/** The model with the output of every Conv and MatMul (every layer) cast to float32 and added as a graph output. */
function probed(model: Uint8Array): { bytes: Uint8Array; probes: string[] } {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const layers = graph.node!.filter((node) => node.opType === 'Conv' || node.opType === 'MatMul').map((node) => node.output![0]);
  const probes = layers.map((tensor) => `probe/${tensor}`);
  layers.forEach((tensor, i) => {
    graph.node!.push({ opType: 'Cast', input: [tensor], output: [probes[i]], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }] });
    graph.output!.push({ name: probes[i], type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
  });
  return { bytes: onnx.ModelProto.encode(proto).finish(), probes };
}

/** Runs the probed network and returns the probes whose values are not finite or not O(1). */
async function unhealthyLayers(path: string, feeds: Record<string, ort.Tensor>): Promise<string[]> {
  const { bytes, probes } = probed(readFileSync(path));
  const network = await ort.InferenceSession.create(bytes);
  const outputs = await network.run(feeds, probes);
  await network.release();
  return probes.filter((probe) => {
    const { max, rms } = magnitude(outputs[probe]);
    return !(rms > 1e-3 && max < 1000);
  });
}

// The prompt "a" then padding: bos, a, eos, pads; the second row is the empty prompt.
function promptIds(pad: number): ort.Tensor {
  const ids = new Int32Array(2 * 77).fill(pad);
  ids.set([49406, 320, 49407], 0);
  ids.set([49406, 49407], 77);
  return new ort.Tensor('int32', ids, [2, 77]);
}

describe.each(ARCHITECTURES.flatMap((arch) => (['fp32', 'fp16'] as const).map((precision) => [arch, precision] as const)))(
  'a reduced-width %s model in %s',
  (arch, precision) => {
    let dir: string;
    let manifest: ModelManifest;
    beforeAll(() => ({ dir, manifest } = written(arch, precision)));

    it('is listed in a manifest Hearth accepts, with the size and SHA-256 of every file', () => {
      const parsed = parseManifest(JSON.parse(readFileSync(join(dir, 'hearth-model.json'), 'utf8')));
      requireModelFiles(parsed);
      expect(parsed.precision).toBe(precision);
      for (const file of parsed.files) {
        const bytes = readFileSync(join(dir, file.path));
        expect([bytes.length, createHash('sha256').update(bytes).digest('hex')]).toEqual([file.size, file.sha256]);
      }
      expect(parsed).toEqual(manifest);
    });

    it('tells the engine to pad with "!" (id 0) for SD 2.x and with the end token for SD 1.x', () => {
      const read = (path: string) => readFileSync(join(dir, path), 'utf8');
      const vocab = new Map(Object.entries(JSON.parse(read('tokenizer/vocab.json')) as Record<string, number>));
      const pad = padTokenIdFromConfig(vocab, read('tokenizer/tokenizer_config.json'), read('tokenizer/special_tokens_map.json'));
      expect(pad).toBe(arch === 'sd-turbo' ? 0 : 49407);
    });

    it('states its largest tensor, the token embedding, so a GPU that cannot bind it is refused before the download', () => {
      expect(manifest.largestTensorBytes).toBe(49408 * architecture(arch, WIDTH_SCALE).textEncoder.width * (precision === 'fp16' ? 2 : 4));
    });

    it('keeps the UNet weights in external data exactly where the full-size fp32 export does', () => {
      const data = manifest.files.find((file) => file.path === 'unet/model.onnx_data');
      expect(data?.externalData ?? false).toBe(precision === 'fp32');
      expect(manifest.files.filter((file) => file.externalData).map((file) => file.path)).toEqual(data ? [data.path] : []);
      if (data) expect(statSync(join(dir, 'unet/model.onnx')).size).toBeLessThan(data.size / 10);
    });

    it('runs text encoder, UNet and VAE decoder on onnxruntime-web (wasm) with finite outputs of sane size, in fp16 at every layer', async () => {
      const pad = arch === 'sd-turbo' ? 0 : 49407;
      const text = await session(dir, 'text_encoder', false);
      const encoded = await text.run({ input_ids: promptIds(pad) });
      const { width } = architecture(arch, WIDTH_SCALE).textEncoder;
      expect(encoded.last_hidden_state.dims).toEqual([2, 77, width]);
      expect(encoded.pooler_output.dims).toEqual([2, width]);
      expectSane(encoded.last_hidden_state);
      expectSane(encoded.pooler_output);

      const unet = await session(dir, 'unet', precision === 'fp32');
      const latents = Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i * 12.9898) * 1.5);
      const feeds: Record<string, ort.Tensor> = {
        sample: new ort.Tensor('float32', latents, [2, 4, 8, 8]),
        timestep: new ort.Tensor('int64', BigInt64Array.from([999n, 999n]), [2]),
        encoder_hidden_states: encoded.last_hidden_state,
      };
      if (arch === 'lcm') feeds.timestep_cond = new ort.Tensor('float32', new Float32Array(2 * 256).fill(0.3), [2, 256]);
      expect(unet.inputNames).toEqual(Object.keys(feeds));
      const { out_sample } = await unet.run(feeds);
      expect(out_sample.dims).toEqual([2, 4, 8, 8]);
      expectSane(out_sample);

      const vae = await session(dir, 'vae_decoder', false);
      const { sample } = await vae.run({ latent_sample: new ort.Tensor('float32', latents.slice(0, 4 * 64), [1, 4, 8, 8]) });
      expect(sample.dims).toEqual([1, 3, 64, 64]);
      expectSane(sample);
      for (const s of [text, unet, vae]) await s.release();

      // fp16 overflows past 65504 and loses what falls below 6e-8, so every layer, not only the last, must stay O(1).
      if (precision === 'fp16') {
        expect(await unhealthyLayers(join(dir, 'text_encoder/model.onnx'), { input_ids: promptIds(pad) })).toEqual([]);
        expect(await unhealthyLayers(join(dir, 'unet/model.onnx'), feeds)).toEqual([]);
        expect(await unhealthyLayers(join(dir, 'vae_decoder/model.onnx'), { latent_sample: feeds.sample })).toEqual([]);
      }
    }, 120_000);

    it("runs TAESD's decoder, written as the preview decoder, giving RGB at 8x the latents' size", async () => {
      expect(manifest.files.map((file) => file.path)).toContain(PREVIEW_DECODER_PATH);
      const preview = await session(dir, 'preview_decoder', false);
      const latents = Float32Array.from({ length: 4 * 4 * 4 }, (_, i) => Math.sin(i * 12.9898) * 1.5);
      const { sample } = await preview.run({ latent_sample: new ort.Tensor('float32', latents, [1, 4, 4, 4]) });
      expect(sample.dims).toEqual([1, 3, 32, 32]);
      expect((sample.data as Float32Array).every(Number.isFinite)).toBe(true);
      await preview.release();
    });
  },
);
