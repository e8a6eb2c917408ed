/**
 * Writes Hearth's built-in tiny test model: a deterministic fp32 Stable-Diffusion-shaped pipeline in
 * diffusers' ONNX layout, a few hundred KB. Usage: tsx scripts/make-tiny-model.ts [--out DIR] [--variant N]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ModelFile, ModelManifest } from '../src/shared/model.ts';
import { jsonFile, manifest, MODEL_INDEX, SCHEDULER_CONFIG } from './tiny-model/configs.ts';
import { createRng, seedFor } from './tiny-model/random.ts';
import { buildTextEncoder } from './tiny-model/text-encoder.ts';
import { END_TOKEN, START_TOKEN, tokenizerFiles, trainMerges, vocabularyTokens } from './tiny-model/tokenizer.ts';
import { buildUnet } from './tiny-model/unet.ts';
import { buildPreviewDecoder } from './tiny-model/preview-decoder.ts';
import { buildVaeDecoder } from './tiny-model/vae-decoder.ts';
import { buildVaeEncoder } from './tiny-model/vae-encoder.ts';
import { buildPatchVaeDecoder, buildPatchVaeEncoder } from './tiny-model/patch-vae.ts';

/** Options for `writeTinyModel`; a different variant gives different weights. */
export interface TinyModelOptions {
  variant?: number;
  id?: string;
  name?: string;
}

/** Ways a test model differs from the built-in one. */
export interface TinyModelShape {
  /** A UNet whose text input is fixed at that many tokens, like exports without long prompts. */
  fixedTextLength?: number;
  /** A 9-channel inpainting UNet. */
  inpainting?: boolean;
  /** False leaves the VAE encoder out, like exports made for text to image only. */
  vaeEncoder?: boolean;
  /**
   * A model that keeps the picture it is given: a UNet that predicts no noise and a linear 8x8-patch VAE
   * that decodes what it encodes. Image to image then ends on the input plus the noise its strength
   * added, which is what the tests measure strength by; the random tiny VAE and UNet forget the input.
   */
  passThrough?: boolean;
}

/** Every file of the model except the manifest, keyed by path relative to the model folder. */
export function tinyModelFiles(variant = 1, { fixedTextLength, inpainting = false, vaeEncoder = true, passThrough = false }: TinyModelShape = {}): Map<string, Uint8Array> {
  const tokens = vocabularyTokens(trainMerges());
  const specials = [tokens.indexOf(START_TOKEN), tokens.indexOf(END_TOKEN)];
  const rng = (label: string) => createRng(seedFor(variant, label));
  const text = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    ['text_encoder/model.onnx', buildTextEncoder(rng('text_encoder'), tokens.length, specials)],
    ['unet/model.onnx', buildUnet(rng('unet'), fixedTextLength, { inpainting, predictsNoNoise: passThrough })],
    ['vae_decoder/model.onnx', passThrough ? buildPatchVaeDecoder() : buildVaeDecoder(rng('vae_decoder'))],
    // Not a diffusers network: Hearth's own place for a model's preview decoder (PREVIEW_DECODER_PATH).
    ['preview_decoder/model.onnx', buildPreviewDecoder(rng('preview_decoder'), rng('vae_decoder'))],
  ]);
  if (vaeEncoder) files.set('vae_encoder/model.onnx', passThrough ? buildPatchVaeEncoder() : buildVaeEncoder(rng('vae_encoder')));
  for (const [path, contents] of Object.entries(tokenizerFiles())) files.set(path, text.encode(contents));
  files.set('scheduler/scheduler_config.json', text.encode(jsonFile(SCHEDULER_CONFIG)));
  files.set('model_index.json', text.encode(jsonFile(vaeEncoder ? { ...MODEL_INDEX, vae_encoder: ['diffusers', 'OnnxRuntimeModel'] } : MODEL_INDEX)));
  return files;
}

// Leaving identical files untouched keeps their mtimes, so watchers and caches stay quiet.
function writeIfChanged(path: string, bytes: Uint8Array): void {
  try {
    if (Buffer.from(readFileSync(path)).equals(bytes)) return;
  } catch {
    // Missing file: write it below.
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Writes the tiny model and its `hearth-model.json` into `outDir`; returns the manifest. */
export function writeTinyModel(outDir: string, options: TinyModelOptions = {}): ModelManifest {
  const variant = options.variant ?? 1;
  const id = options.id ?? (variant === 1 ? 'tiny-test' : `tiny-test-${variant}`);
  const name = options.name ?? (variant === 1 ? 'Tiny test model' : `Tiny test model ${variant}`);
  const listed: ModelFile[] = [];
  for (const [path, bytes] of tinyModelFiles(variant)) {
    writeIfChanged(join(outDir, path), bytes);
    listed.push({ path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  const result = manifest(id, name, listed);
  writeIfChanged(join(outDir, 'hearth-model.json'), new TextEncoder().encode(jsonFile(result)));
  return result;
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'public/models/tiny' }, variant: { type: 'string', default: '1' } } });
  const variant = Number(values.variant);
  if (!Number.isInteger(variant) || variant < 1) throw new Error(`--variant must be a positive integer, got ${values.variant}`);
  const outDir = resolve(values.out);
  const result = writeTinyModel(outDir, { variant });
  const total = result.files.reduce((sum, file) => sum + file.size, 0);
  for (const file of result.files) console.log(`${String(file.size).padStart(8)}  ${file.path}`);
  console.log(`${String(total).padStart(8)}  total, ${result.id} in ${outDir}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
