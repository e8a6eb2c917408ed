/**
 * Writes a Stable-Diffusion-shaped model with the real architecture and seeded
 * random weights, in diffusers' ONNX layout with a hearth-model.json, for
 * testing Hearth at real size. Usage:
 *   tsx scripts/make-real-model.ts --arch sd-turbo|sd15|lcm --precision fp32|fp16 --out DIR
 *     [--width-scale N] [--seed N] [--id ID] [--tokenizer DIR] [--preview-decoder]
 * --preview-decoder adds TAESD's decoder at its real shape (random weights) as the model's preview decoder.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHITECTURES, type ArchitectureId } from './real-model/architectures.ts';
import type { Precision } from './real-model/graph.ts';
import { DEFAULT_TOKENIZER_DIR, writeRealModel } from './real-model/model-folder.ts';

const PRECISIONS: Precision[] = ['fp32', 'fp16'];

function main(): void {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string' },
      precision: { type: 'string', default: 'fp32' },
      out: { type: 'string' },
      'width-scale': { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      id: { type: 'string' },
      tokenizer: { type: 'string', default: DEFAULT_TOKENIZER_DIR },
      'preview-decoder': { type: 'boolean', default: false },
    },
  });
  const arch = values.arch as ArchitectureId;
  if (!ARCHITECTURES.includes(arch)) throw new Error(`--arch must be one of ${ARCHITECTURES.join(', ')}, got ${values.arch}`);
  const precision = values.precision as Precision;
  if (!PRECISIONS.includes(precision)) throw new Error(`--precision must be fp32 or fp16, got ${values.precision}`);
  if (!values.out) throw new Error('--out DIR is required');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);

  const outDir = resolve(values.out);
  const start = performance.now();
  const manifest = writeRealModel(outDir, {
    arch,
    precision,
    widthScale: Number(values['width-scale']),
    seed,
    id: values.id,
    tokenizerDir: values.tokenizer,
    previewDecoder: values['preview-decoder'],
    onFile: (file) => console.log(`${String(file.size).padStart(12)}  ${file.path}`),
  });
  const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`${String(total).padStart(12)}  total, ${manifest.id} in ${outDir} (${seconds} s)`);
}

try {
  main();
} catch (error) {
  // Bad arguments and unreadable tokenizer files are the user's to fix: the message, not a stack trace.
  console.error(`models:real: ${(error as Error).message}`);
  process.exitCode = 1;
}
