import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '../src/shared/model.ts';
import { tinyModelFiles, writeTinyModel } from './make-tiny-model.ts';
import { createRng } from './tiny-model/random.ts';
import { SEQ_LEN, TEXT_DIM } from './tiny-model/text-encoder.ts';

const { onnx } = onnxProto;
ort.env.wasm.numThreads = 1;

let dir: string;
let written: ModelManifest;
const sessions = new Map<string, Promise<ort.InferenceSession>>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-tiny-'));
  written = writeTinyModel(dir);
});
afterAll(async () => {
  for (const session of sessions.values()) await (await session).release();
  rmSync(dir, { recursive: true, force: true });
});

function session(component: string): Promise<ort.InferenceSession> {
  if (!sessions.has(component)) sessions.set(component, ort.InferenceSession.create(readFileSync(join(dir, component, 'model.onnx'))));
  return sessions.get(component)!;
}

/** Minimal CLIP BPE over whitespace-split lowercase words: enough to turn prompts into ids. */
function tokenizer(): { encode(prompt: string): number[]; tokens(word: string): string[]; vocab: Record<string, number> } {
  const vocab = JSON.parse(readFileSync(join(dir, 'tokenizer/vocab.json'), 'utf8')) as Record<string, number>;
  const merges = readFileSync(join(dir, 'tokenizer/merges.txt'), 'utf8').trim().split('\n').slice(1);
  const rank = new Map(merges.map((merge, i) => [merge, i]));
  const tokens = (word: string): string[] => {
    let symbols = [...word.slice(0, -1)].concat(`${word.slice(-1)}</w>`);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && (best < 0 || r < rank.get(`${symbols[best]} ${symbols[best + 1]}`)!)) best = i;
      }
      if (best < 0) return symbols;
      symbols = [...symbols.slice(0, best), symbols[best] + symbols[best + 1], ...symbols.slice(best + 2)];
    }
  };
  const encode = (prompt: string): number[] => {
    const ids = [vocab['<|startoftext|>'], ...prompt.toLowerCase().split(/\s+/).filter(Boolean).flatMap(tokens).map((t) => vocab[t])];
    const end = vocab['<|endoftext|>'];
    return [...ids, ...new Array<number>(SEQ_LEN - ids.length).fill(end)];
  };
  return { encode, tokens, vocab };
}

async function encodeText(prompts: string[]): Promise<ort.Tensor> {
  const { encode } = tokenizer();
  const ids = Int32Array.from(prompts.flatMap(encode));
  const out = await (await session('text_encoder')).run({ input_ids: new ort.Tensor('int32', ids, [prompts.length, SEQ_LEN]) });
  return out.last_hidden_state;
}

async function runUnet(sample: Float32Array, shape: number[], timesteps: number[], text: ort.Tensor): Promise<Float32Array> {
  const feeds = {
    sample: new ort.Tensor('float32', sample, shape),
    timestep: new ort.Tensor('int64', BigInt64Array.from(timesteps.map(BigInt)), [timesteps.length]),
    encoder_hidden_states: text,
  };
  const out = await (await session('unet')).run(feeds);
  expect(out.out_sample.dims).toEqual(shape);
  return out.out_sample.data as Float32Array;
}

async function decode(latents: Float32Array, size: number): Promise<ort.Tensor> {
  const out = await (await session('vae_decoder')).run({ latent_sample: new ort.Tensor('float32', latents, [1, 4, size, size]) });
  return out.sample;
}

function gaussian(seed: number, count: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => scale * rng.normal());
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

/** Share of pixels of two [1,3,H,W] images in [-1,1] whose 8-bit colour differs by more than 8 in some channel. */
function changedPixels(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  const plane = x.length / 3;
  let changed = 0;
  for (let p = 0; p < plane; p++) {
    const differs = [0, 1, 2].some((c) => Math.abs((x[c * plane + p] - y[c * plane + p]) / 2) * 255 > 8);
    if (differs) changed++;
  }
  return changed / plane;
}

/** Euler sigmas for scaled_linear betas and trailing spacing, as diffusers' EulerDiscreteScheduler makes them. */
function eulerSchedule(steps: number): { timesteps: number[]; sigmas: number[] } {
  const [start, end] = [Math.sqrt(0.00085), Math.sqrt(0.012)];
  let alphaProduct = 1;
  const trainSigmas = Array.from({ length: 1000 }, (_, i) => {
    alphaProduct *= 1 - (start + ((end - start) * i) / 999) ** 2;
    return Math.sqrt((1 - alphaProduct) / alphaProduct);
  });
  const timesteps = Array.from({ length: steps }, (_, i) => Math.round(1000 - (i * 1000) / steps) - 1);
  return { timesteps, sigmas: [...timesteps.map((t) => trainSigmas[t]), 0] };
}

/** Text-to-latents with Euler and classifier-free guidance, the way the pipeline will run it. */
async function sample(prompt: string, seed: number, steps: number, guidance: number, size = 32): Promise<Float32Array> {
  const text = await encodeText(['', prompt]);
  const { timesteps, sigmas } = eulerSchedule(steps);
  const count = 4 * size * size;
  const latents = gaussian(seed, count, Math.sqrt(sigmas[0] ** 2 + 1));
  for (let i = 0; i < steps; i++) {
    const scale = 1 / Math.sqrt(sigmas[i] ** 2 + 1);
    const input = new Float32Array(2 * count);
    for (let k = 0; k < count; k++) input[k] = input[count + k] = latents[k] * scale;
    const eps = await runUnet(input, [2, 4, size, size], [timesteps[i], timesteps[i]], text);
    for (let k = 0; k < count; k++) {
      const guided = eps[k] + guidance * (eps[count + k] - eps[k]);
      latents[k] += (sigmas[i + 1] - sigmas[i]) * guided;
    }
  }
  return latents;
}

const describeLatents = (x: Float32Array) => ({
  finite: x.every(Number.isFinite),
  maxAbs: maxAbsDiff(x, new Float32Array(x.length)),
  under4: x.filter((v) => Math.abs(v) < 4).length / x.length,
  std: Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length),
});

describe('make-tiny-model', () => {
  it('writes the diffusers layout with a manifest that matches the files', () => {
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile());
    expect(files.sort()).toEqual([...written.files.map((f) => f.path), 'hearth-model.json'].sort());
    for (const file of written.files) {
      const bytes = readFileSync(join(dir, file.path));
      expect(bytes.length).toBe(file.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    }
    expect(JSON.parse(readFileSync(join(dir, 'hearth-model.json'), 'utf8'))).toEqual(written);
    expect(written.id).toBe('tiny-test');
    expect(written.files.reduce((sum, f) => sum + f.size, 0)).toBeLessThan(1_000_000);
  });

  it('is byte-identical run to run, and variant 2 differs only in its weights', () => {
    const again = mkdtempSync(join(tmpdir(), 'hearth-tiny-'));
    const other = mkdtempSync(join(tmpdir(), 'hearth-tiny-'));
    try {
      expect(writeTinyModel(again)).toEqual(written);
      const second = writeTinyModel(other, { variant: 2 });
      expect(second.id).toBe('tiny-test-2');
      const hash = (m: ModelManifest, path: string) => m.files.find((f) => f.path === path)!.sha256;
      for (const file of written.files) {
        expect(readFileSync(join(again, file.path)).equals(readFileSync(join(dir, file.path)))).toBe(true);
        expect(hash(second, file.path) !== file.sha256).toBe(file.path.endsWith('.onnx'));
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('has a CLIP-shaped vocabulary whose merges spell prompt words as single tokens', () => {
    const { vocab, tokens } = tokenizer();
    const byId = Object.entries(vocab).sort(([, a], [, b]) => a - b).map(([token]) => token);
    expect(byId.map((_, i) => vocab[byId[i]])).toEqual(byId.map((_, i) => i));
    expect(byId[0]).toBe('!');
    expect(byId[256]).toBe('!</w>');
    expect(byId.slice(-2)).toEqual(['<|startoftext|>', '<|endoftext|>']);
    const merges = readFileSync(join(dir, 'tokenizer/merges.txt'), 'utf8').trim().split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(byId.length).toBe(512 + merges.length - 1 + 2);
    expect(merges.length).toBeGreaterThan(200);
    for (const word of ['a', 'photo', 'of', 'the', 'cat', 'dog', 'red', 'blue', 'astronaut']) expect(tokens(word)).toEqual([`${word}</w>`]);
    expect(tokens('zebra').length).toBeGreaterThan(1);
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer/tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ pad_token: '<|endoftext|>', model_max_length: 77 });
  });

  it('exports opset-17 graphs with diffusers I/O, torch-style GroupNorm and the Conv -> SiLU -> SiLU chain', () => {
    const load = (component: string) => onnx.ModelProto.decode(readFileSync(join(dir, component, 'model.onnx')));
    const io = (values: onnxProto.onnx.IValueInfoProto[]) =>
      values.map((v) => [v.name, v.type!.tensorType!.elemType, v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(String(d.dimValue)))]);
    const { FLOAT, INT32, INT64 } = onnx.TensorProto.DataType;
    const expected = {
      text_encoder: [[['input_ids', INT32, ['batch', 77]]], [['last_hidden_state', FLOAT, ['batch', 77, TEXT_DIM]]]],
      unet: [
        [['sample', FLOAT, ['batch', 4, 'height', 'width']], ['timestep', INT64, ['batch']], ['encoder_hidden_states', FLOAT, ['batch', 'sequence', TEXT_DIM]]],
        [['out_sample', FLOAT, ['batch', 4, 'height', 'width']]],
      ],
      vae_decoder: [[['latent_sample', FLOAT, ['batch', 4, 'height', 'width']]], [['sample', FLOAT, ['batch', 3, 'image_height', 'image_width']]]],
      vae_encoder: [[['sample', FLOAT, ['batch', 3, 'height', 'width']]], [['latent_parameters', FLOAT, ['batch', 8, 'latent_height', 'latent_width']]]],
    };
    for (const [component, [inputs, outputs]] of Object.entries(expected)) {
      const model = load(component);
      expect(Number(String(model.irVersion))).toBe(8);
      expect(model.opsetImport.map((o) => [o.domain, Number(String(o.version))])).toEqual([['', 17]]);
      expect(io(model.graph!.input!)).toEqual(inputs);
      expect(io(model.graph!.output!)).toEqual(outputs);
      expect(model.graph!.node!.some((n) => n.opType === 'GroupNormalization')).toBe(false);
    }

    const nodes = load('unet').graph!.node!;
    const consumers = (tensor: string) => nodes.filter((n) => n.input!.includes(tensor)).map((n) => n.opType).sort();
    const isSilu = (tensor: string) => {
      const mul = nodes.find((n) => n.opType === 'Mul' && n.input!.includes(tensor) && consumers(tensor).join() === 'Mul,Sigmoid');
      return mul?.output![0];
    };
    const chains = nodes.filter((n) => n.opType === 'Conv').filter((n) => {
      const once = isSilu(n.output![0]);
      return once !== undefined && isSilu(once) !== undefined;
    });
    expect(chains.length).toBeGreaterThan(0);
    expect(nodes.filter((n) => n.opType === 'InstanceNormalization').length).toBeGreaterThan(0);
  });

  it('text encoder: different prompts give clearly different embeddings', async () => {
    const out = await encodeText(['a photo of a cat', 'a red dog in the snow']);
    expect(out.dims).toEqual([2, SEQ_LEN, TEXT_DIM]);
    const data = out.data as Float32Array;
    const half = SEQ_LEN * TEXT_DIM;
    expect(data.every(Number.isFinite)).toBe(true);
    // Padding positions too: they must carry the prompt, or cross-attention would barely see it.
    const lastPosition = (b: number) => data.subarray(b * half + (SEQ_LEN - 1) * TEXT_DIM, (b + 1) * half);
    expect(maxAbsDiff(lastPosition(0), lastPosition(1))).toBeGreaterThan(0.5);
  });

  it('unet: runs batch 2 at 32x32 and responds to timestep and text', async () => {
    const shape = [2, 4, 32, 32];
    const latents = gaussian(1, 2 * 4 * 32 * 32);
    const text = await encodeText(['a photo of a cat', 'a photo of a cat']);
    const otherText = await encodeText(['a blue house by the sea', 'a blue house by the sea']);
    const base = await runUnet(latents, shape, [999, 999], text);
    expect(base.every(Number.isFinite)).toBe(true);
    // At t = 999 an epsilon prediction is almost the noisy input itself.
    expect(describeLatents(base).std).toBeGreaterThan(0.5);
    expect(describeLatents(base).std).toBeLessThan(2);
    const timestepChange = maxAbsDiff(base, await runUnet(latents, shape, [500, 500], text));
    const textChange = maxAbsDiff(base, await runUnet(latents, shape, [999, 999], otherText));
    expect(timestepChange).toBeGreaterThan(0.5);
    expect(textChange).toBeGreaterThan(0.02);
  });

  it('vae decoder: 32x32 latents become a varied 256x256 image in [-1, 1]', async () => {
    const image = await decode(gaussian(2, 4 * 32 * 32), 32);
    expect(image.dims).toEqual([1, 3, 256, 256]);
    const data = image.data as Float32Array;
    expect(data.every((v) => v >= -1 && v <= 1)).toBe(true);
    const mean = data.reduce((s, v) => s + v, 0) / data.length;
    const std = Math.sqrt(data.reduce((s, v) => s + (v - mean) ** 2, 0) / data.length);
    expect(std).toBeGreaterThan(0.2);
    expect(changedPixels(image, await decode(gaussian(3, 4 * 32 * 32), 32))).toBeGreaterThan(0.2);
  });

  it('Euler with guidance stays in range for 4 and 20 steps, and seed and prompt both change the picture', async () => {
    const cat = await sample('a photo of a cat', 42, 4, 3);
    for (const latents of [cat, await sample('a photo of a cat', 42, 20, 3)]) {
      const stats = describeLatents(latents);
      expect(stats.finite).toBe(true);
      expect(stats.under4).toBeGreaterThan(0.99);
      expect(stats.std).toBeGreaterThan(0.3);
      expect(stats.std).toBeLessThan(2);
    }
    const toImage = (latents: Float32Array) => decode(latents.map((v) => v / 0.18215), 32);
    const catImage = await toImage(cat);
    expect(changedPixels(catImage, await toImage(await sample('a photo of a cat', 43, 4, 3)))).toBeGreaterThan(0.2);
    expect(changedPixels(catImage, await toImage(await sample('a blue house by the sea', 42, 4, 3)))).toBeGreaterThan(0.2);
  });

  it('vae encoder: an image becomes a mean and a small log-variance at 1/8 of its size', async () => {
    const image = Float32Array.from(gaussian(4, 3 * 64 * 64), (v) => Math.tanh(v));
    const out = await (await session('vae_encoder')).run({ sample: new ort.Tensor('float32', image, [1, 3, 64, 64]) });
    expect(out.latent_parameters.dims).toEqual([1, 8, 8, 8]);
    const data = out.latent_parameters.data as Float32Array;
    const mean = describeLatents(data.subarray(0, 4 * 64));
    const logvar = data.subarray(4 * 64);
    expect(mean.std * 0.18215).toBeGreaterThan(0.2);
    expect(logvar.every((v) => v < -2)).toBe(true);
  });

  it('inpainting unet: takes 9 channels and predicts noise for the first 4', async () => {
    const unet = await ort.InferenceSession.create(tinyModelFiles(1, { inpainting: true }).get('unet/model.onnx')!);
    const sample = gaussian(5, 9 * 8 * 8);
    const text = await encodeText(['a photo of a cat']);
    const run = async (input: Float32Array) =>
      (await unet.run({ sample: new ort.Tensor('float32', input, [1, 9, 8, 8]), timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]), encoder_hidden_states: text })).out_sample;
    const out = await run(sample);
    expect(out.dims).toEqual([1, 4, 8, 8]);
    const otherMask = sample.slice();
    otherMask.fill(1, 4 * 64, 5 * 64);
    expect(maxAbsDiff(out.data as Float32Array, (await run(otherMask)).data as Float32Array)).toBeGreaterThan(0.01);
    await unet.release();
  });
});
