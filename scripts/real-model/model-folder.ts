/**
 * Writes a whole diffusers-layout folder for one architecture: the three
 * networks (streamed), tokenizer, scheduler config, model_index.json, and the
 * `hearth-model.json` listing every file with its size and SHA-256.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFile, ModelManifest } from '../../src/shared/model.ts';
import { PREVIEW_DECODER_PATH } from '../../src/shared/manifest.ts';
import { NETWORKS, networkPath, REQUIRED_NETWORKS } from '../../src/shared/networks.ts';
import { seedFor } from '../tiny-model/random.ts';
import { architecture, type ArchitectureId } from './architectures.ts';
import { jsonFile } from '../tiny-model/configs.ts';
import { modelIndex, realManifest, SCHEDULER_CONFIGS, tokenizerSettings } from './configs.ts';
import { RealGraphBuilder, type Precision } from './graph.ts';
import { buildNetwork } from './networks.ts';
import { needsExternalData, writeOnnx } from './onnx-writer.ts';
import { buildTaesdDecoder } from './taesd-decoder.ts';

/** The real CLIP vocabulary lives beside the repo, never inside it (../shared/data/README.md). */
export const DEFAULT_TOKENIZER_DIR = fileURLToPath(new URL('../../../shared/data/clip-tokenizer/', import.meta.url));

export interface RealModelOptions {
  arch: ArchitectureId;
  precision: Precision;
  /** Channel widths divided by this (a power of two); 1 is the real network. */
  widthScale?: number;
  /** Folder holding CLIP's vocab.json and merges.txt. */
  tokenizerDir?: string;
  /** Seeds the weights; another seed gives other weights. */
  seed?: number;
  id?: string;
  /** Also writes TAESD's decoder (random weights, real shape) as the model's preview decoder. */
  previewDecoder?: boolean;
  /** Called after each file is written, for progress. */
  onFile?: (file: ModelFile) => void;
}

/** The manifest id a generated model gets unless told. */
export const defaultModelId = (arch: ArchitectureId, precision: Precision, widthScale = 1): string =>
  `${arch}-shape-${precision}${widthScale === 1 ? '' : `-w${widthScale}`}`;

function readTokenizerFile(dir: string, name: string): Uint8Array {
  try {
    return readFileSync(join(dir, name));
  } catch (error) {
    throw new Error(`The CLIP tokenizer file ${join(dir, name)} could not be read (${(error as Error).message}); pass --tokenizer DIR`);
  }
}

/** Writes the model into `outDir` and returns its manifest, also written there as hearth-model.json. */
export function writeRealModel(outDir: string, options: RealModelOptions): ModelManifest {
  const { precision, seed = 1, widthScale = 1, tokenizerDir = DEFAULT_TOKENIZER_DIR, onFile } = options;
  const arch = architecture(options.arch, widthScale);
  const files: ModelFile[] = [];
  const record = (file: ModelFile) => {
    files.push(file);
    onFile?.(file);
  };
  const writeSmall = (path: string, bytes: Uint8Array) => {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), bytes);
    record({ path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  };

  const text = new TextEncoder();
  writeSmall('tokenizer/vocab.json', readTokenizerFile(tokenizerDir, 'vocab.json'));
  writeSmall('tokenizer/merges.txt', readTokenizerFile(tokenizerDir, 'merges.txt'));
  for (const [path, contents] of Object.entries(tokenizerSettings(arch))) writeSmall(path, text.encode(contents));
  writeSmall('scheduler/scheduler_config.json', text.encode(jsonFile(SCHEDULER_CONFIGS[arch.id])));
  writeSmall('model_index.json', text.encode(jsonFile(modelIndex(arch.id))));
  let largestTensorBytes = 0;
  for (const network of REQUIRED_NETWORKS) {
    // Seeds and graph names go by folder, as they did before the networks had one table: the same seed still writes the same bytes.
    const { folder } = NETWORKS[network];
    const g = buildNetwork(network, arch, precision, seedFor(seed, `${arch.id}/${folder}`));
    // A reduced-width instance keeps the real network's file layout, so tests exercise external data where users get it.
    const external = needsExternalData(buildNetwork(network, architecture(arch.id), precision));
    for (const file of writeOnnx(g, folder, outDir, networkPath(network), external)) record(file);
    largestTensorBytes = Math.max(largestTensorBytes, ...g.weights().map((weight) => weight.byteLength));
  }
  if (options.previewDecoder) {
    const g = buildTaesdDecoder(new RealGraphBuilder(precision, seedFor(seed, `${arch.id}/preview_decoder`)));
    for (const file of writeOnnx(g, 'preview_decoder', outDir, PREVIEW_DECODER_PATH)) record(file);
  }

  const manifest = { ...realManifest(arch, precision, options.id ?? defaultModelId(arch.id, precision, widthScale), files), largestTensorBytes };
  // Written last: a folder with a hearth-model.json is complete (test:real's cache relies on it).
  writeFileSync(join(outDir, 'hearth-model.json'), jsonFile(manifest));
  return manifest;
}
