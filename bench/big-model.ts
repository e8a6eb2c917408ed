/**
 * Synthetic Stable-Diffusion-shaped models for the benches: a tiny test model
 * whose components also gather a row from each of their float32 tables,
 * indexed by something derived from the component's input so ORT can neither
 * fold nor drop them, and add 0 times the rows' sum to their output, which
 * stays the tiny model's. A component's tables live in its `model.onnx_data`,
 * as in real exports over 2 GB. By default about 1 GiB of UNet tables
 * (16 of 64 MiB), for the warm-start bench.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { externalize } from '../e2e/external-data.ts';
import type { Body, ServedModel } from '../e2e/model-server.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest as tinyManifest } from '../scripts/tiny-model/configs.ts';
import type { ModelFile, ModelManifest } from '../src/shared/model.ts';
import { NETWORKS, networkPath, type RequiredNetwork } from '../src/shared/networks.ts';

const { onnx } = onnxProto;
type Graph = onnxProto.onnx.IGraphProto;
// Above every index a component derives: timesteps run 0..999, the tiny vocabulary has 906 tokens.
const ROWS = 1024;
const MIB = 2 ** 20;
const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

/**
 * Per network: the seed offset of its tables, and how it derives the row to
 * gather from its input (nodes added to `graph`, returning the index tensor's name).
 */
const TABLES: Record<RequiredNetwork, { seed: number; row(graph: Graph): string }> = {
  textEncoder: {
    seed: 100,
    // The first token of each prompt: a [batch] index, so the gathered rows stay small.
    row(graph) {
      graph.initializer!.push({ name: 'bench.first', dims: [], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(8) });
      graph.node!.push({ opType: 'Gather', input: ['input_ids', 'bench.first'], output: ['bench.row'], attribute: [int('axis', 1)] });
      return 'bench.row';
    },
  },
  unet: { seed: 0, row: () => 'timestep' },
  vaeDecoder: {
    seed: 200,
    // Row 0, computed from the latents: a constant index would let constant folding (level 'basic') fold the Gather.
    row(graph) {
      graph.node!.push({ opType: 'ReduceSum', input: ['latent_sample'], output: ['bench.latent_sum'], attribute: [int('keepdims', 0)] });
      graph.node!.push({ opType: 'Mul', input: ['bench.latent_sum', 'bench.zero'], output: ['bench.latent_zero'] });
      graph.node!.push({ opType: 'Cast', input: ['bench.latent_zero'], output: ['bench.row'], attribute: [int('to', onnx.TensorProto.DataType.INT32)] });
      return 'bench.row';
    },
  },
};

export interface BigModelOptions {
  id: string;
  name: string;
  /** Tiny-model variant: other variants, other weights (tables included). */
  variant: number;
  /** Bytes of each table, per component; a component without tables is the tiny model's. */
  tables: Partial<Record<RequiredNetwork, number[]>>;
}

const ONE_GIB: BigModelOptions = { id: 'bench-1gib', name: 'Bench model (1 GiB)', variant: 3, tables: { unet: Array<number>(16).fill(64 * MIB) } };

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

/** `bytes`, a component graph, plus tables of `sizes` bytes gathered from and added, times 0, to its output. */
function withTables(bytes: Uint8Array, component: RequiredNetwork, sizes: number[], variant: number): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const { seed, row } = TABLES[component];
  const { output } = NETWORKS[component];
  for (const node of graph.node!) node.output = node.output!.map((name) => (name === output ? 'bench.output' : name));
  graph.initializer!.push({ name: 'bench.zero', dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(4) });
  const index = row(graph);
  let sum = '';
  for (const [k, tableBytes] of sizes.entries()) {
    const tableSeed = (variant - ONE_GIB.variant) * 1000 + seed + k + 1;
    graph.initializer!.push({ name: `bench.table_${k}`, dims: [ROWS, tableBytes / 4 / ROWS], dataType: onnx.TensorProto.DataType.FLOAT, rawData: table(tableSeed, tableBytes) });
    graph.node!.push({ opType: 'Gather', input: [`bench.table_${k}`, index], output: [`bench.rows_${k}`], attribute: [int('axis', 0)] });
    graph.node!.push({ opType: 'ReduceSum', input: [`bench.rows_${k}`], output: [`bench.sum_${k}`], attribute: [int('keepdims', 0)] });
    if (sum) graph.node!.push({ opType: 'Add', input: [sum, `bench.sum_${k}`], output: [`bench.total_${k}`] });
    sum = sum ? `bench.total_${k}` : `bench.sum_${k}`;
  }
  graph.node!.push({ opType: 'Mul', input: [sum, 'bench.zero'], output: ['bench.nothing'] });
  graph.node!.push({ opType: 'Add', input: ['bench.output', 'bench.nothing'], output: [output] });
  return onnx.ModelProto.encode(model).finish();
}

/** The model's files, keyed by path: the tiny model's, with each component that has tables rewritten and its data split off. */
export function bigModelFiles({ variant, tables }: BigModelOptions): Map<string, Uint8Array> {
  const files = tinyModelFiles(variant);
  for (const [component, sizes] of Object.entries(tables) as [RequiredNetwork, number[]][]) {
    const path = networkPath(component);
    const { graph, data } = externalize(withTables(files.get(path)!, component, sizes, variant), 'model.onnx_data');
    files.set(path, graph).set(`${dirname(path)}/model.onnx_data`, data);
  }
  return files;
}

/** Writes the model into `dir` unless a complete copy is there; returns what the model server serves. */
export function writeBigModel(dir: string, options: Partial<BigModelOptions> = {}): ServedModel {
  const model = { ...ONE_GIB, ...options };
  const manifestPath = join(dir, 'hearth-model.json');
  if (!existsSync(manifestPath)) {
    const files = bigModelFiles(model);
    const listed: ModelFile[] = [];
    for (const [path, bytes] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
      listed.push({ path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), ...(path.endsWith('_data') ? { externalData: true as const } : {}) });
    }
    // The manifest last: its presence says the folder is complete.
    const parts = Object.entries(model.tables).map(([component, sizes]) => `${component} ${sizes.reduce((a, b) => a + b, 0) / MIB} MiB`);
    writeFileSync(manifestPath, JSON.stringify({ ...tinyManifest(model.id, model.name, listed), description: `Synthetic bench model, tables: ${parts.join(', ')}` }));
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
  const files = new Map<string, Body>(manifest.files.map((file) => [file.path, { disk: join(dir, file.path), size: file.size }]));
  return { manifest, files };
}
