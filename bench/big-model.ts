/**
 * Synthetic Stable-Diffusion-shaped models for the benches: a tiny test model
 * whose UNet also gathers a row from each of N float32 tables, indexed by the
 * timestep so ORT can neither fold nor drop them, and adds 0 times their sum to
 * its output. Every UNet weight lives in `unet/model.onnx_data`, as in real
 * exports over 2 GB. By default about 1 GiB (16 tables of 64 MiB), for the
 * warm-start bench.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { externalize } from '../e2e/external-data.ts';
import type { Body, ServedModel } from '../e2e/model-server.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest as tinyManifest } from '../scripts/tiny-model/configs.ts';
import type { ModelFile, ModelManifest } from '../src/shared/protocol.ts';

const { onnx } = onnxProto;
const ROWS = 1024; // timesteps run 0..999
const MIB = 2 ** 20;

export interface BigModelOptions {
  id: string;
  name: string;
  /** Tiny-model variant: other variants, other weights (tables included). */
  variant: number;
  tables: number;
  tableBytes: number;
}

const ONE_GIB: BigModelOptions = { id: 'bench-1gib', name: 'Bench model (1 GiB)', variant: 3, tables: 16, tableBytes: 64 * MIB };

/** A table of small finite floats from a fixed LCG, so no layer can compress or deduplicate it. */
function table(seed: number, bytes: number): Uint8Array {
  const values = new Float32Array(bytes / 4);
  let state = seed >>> 0;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 32 - 0.5;
  }
  return new Uint8Array(values.buffer);
}

function bigUnet({ variant, tables, tableBytes }: BigModelOptions): Uint8Array {
  const model = onnx.ModelProto.decode(tinyModelFiles(variant).get('unet/model.onnx')!);
  const graph = model.graph!;
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  for (const node of graph.node!) node.output = node.output!.map((name) => (name === 'out_sample' ? 'bench.epsilon' : name));
  let sum = '';
  for (let k = 0; k < tables; k++) {
    const seed = (variant - ONE_GIB.variant) * 1000 + k + 1;
    graph.initializer!.push({ name: `bench.table_${k}`, dims: [ROWS, tableBytes / 4 / ROWS], dataType: onnx.TensorProto.DataType.FLOAT, rawData: table(seed, tableBytes) });
    graph.node!.push({ opType: 'Gather', input: [`bench.table_${k}`, 'timestep'], output: [`bench.row_${k}`], attribute: [int('axis', 0)] });
    graph.node!.push({ opType: 'ReduceSum', input: [`bench.row_${k}`], output: [`bench.sum_${k}`], attribute: [int('keepdims', 0)] });
    if (sum) graph.node!.push({ opType: 'Add', input: [sum, `bench.sum_${k}`], output: [`bench.total_${k}`] });
    sum = sum ? `bench.total_${k}` : `bench.sum_${k}`;
  }
  graph.initializer!.push({ name: 'bench.zero', dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(4) });
  graph.node!.push({ opType: 'Mul', input: [sum, 'bench.zero'], output: ['bench.nothing'] });
  graph.node!.push({ opType: 'Add', input: ['bench.epsilon', 'bench.nothing'], output: ['out_sample'] });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the model into `dir` unless a complete copy is there; returns what the model server serves. */
export function writeBigModel(dir: string, options: Partial<BigModelOptions> = {}): ServedModel {
  const model = { ...ONE_GIB, ...options };
  const manifestPath = join(dir, 'hearth-model.json');
  if (!existsSync(manifestPath)) {
    const files = tinyModelFiles(model.variant);
    const { graph, data } = externalize(bigUnet(model), 'model.onnx_data');
    files.set('unet/model.onnx', graph).set('unet/model.onnx_data', data);
    const listed: ModelFile[] = [];
    for (const [path, bytes] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
      listed.push({ path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), ...(path.endsWith('_data') ? { externalData: true as const } : {}) });
    }
    // The manifest last: its presence says the folder is complete.
    const mib = Math.round((model.tables * model.tableBytes) / MIB);
    writeFileSync(manifestPath, JSON.stringify({ ...tinyManifest(model.id, model.name, listed), description: `Synthetic bench model: ${mib} MiB of UNet tables` }));
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
  const files = new Map<string, Body>(manifest.files.map((file) => [file.path, { disk: join(dir, file.path), size: file.size }]));
  return { manifest, files };
}
