/**
 * Writes an ONNX model to disk one weight at a time. onnx-proto encodes the
 * graph without its initializers; each initializer is then written by hand as
 * its small TensorProto header followed by its raw bytes. Protobuf fields may
 * come in any order, and every length prefix follows from sizes known before
 * any weight is drawn (https://protobuf.dev/programming-guides/encoding/), so
 * the file is written front to back, hashed as it goes. A model whose weights
 * pass protobuf's 2 GB limit keeps them in `model.onnx_data` beside the graph,
 * as torch.onnx does (https://onnx.ai/onnx/repo-docs/ExternalData.html).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { ModelFile } from '../../src/shared/model.ts';
import type { GraphBuilder, Initializer } from '../tiny-model/onnx-graph.ts';

const { onnx } = onnxProto;

/** protobuf's hard limit for one message, which is why big exports move weights out of the graph file. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;
// onnx.external_data_helper keeps tensors under 1 KB inside the graph by default (size_threshold=1024).
const EXTERNAL_MIN_BYTES = 1024;
const FIELD = { modelGraph: 7, graphInitializer: 5, tensorRawData: 9 };
const LENGTH_DELIMITED = 2;

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** Tag and length prefix of a length-delimited field. */
const fieldPrefix = (field: number, length: number): Uint8Array => {
  const tag = varint((field << 3) | LENGTH_DELIMITED);
  const size = varint(length);
  const prefix = new Uint8Array(tag.length + size.length);
  prefix.set(tag);
  prefix.set(size, tag.length);
  return prefix;
};

/** A file written front to back and hashed on the way. */
class HashedFile {
  readonly #fd: number;
  readonly #hash: Hash = createHash('sha256');
  size = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) at += writeSync(this.#fd, bytes, at);
    this.#hash.update(bytes);
    this.size += bytes.length;
  }

  close(): { size: number; sha256: string } {
    closeSync(this.#fd);
    return { size: this.size, sha256: this.#hash.digest('hex') };
  }
}

/** How one initializer is laid out: its header, and whether its bytes follow inline or go to the data file. */
interface Layout {
  weight: Initializer;
  header: Uint8Array;
  inline: boolean;
}

function layout(weight: Initializer, dataFile: string | undefined, offset: number): Layout {
  const { name, dims, dataType, byteLength } = weight;
  if (!dataFile || byteLength < EXTERNAL_MIN_BYTES) {
    return { weight, inline: true, header: onnx.TensorProto.encode({ name, dims, dataType }).finish() };
  }
  const externalData = [
    { key: 'location', value: dataFile },
    { key: 'offset', value: String(offset) },
    { key: 'length', value: String(byteLength) },
  ];
  const header = onnx.TensorProto.encode({ name, dims, dataType, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData }).finish();
  return { weight, inline: false, header };
}

const tensorLength = ({ header, inline, weight }: Layout) =>
  header.length + (inline ? fieldPrefix(FIELD.tensorRawData, weight.byteLength).length + weight.byteLength : 0);

/** True when `g` cannot be one protobuf message, so its weights must go to an external-data file. */
export function needsExternalData(g: GraphBuilder): boolean {
  return g.weights().reduce((sum, w) => sum + w.byteLength, 0) > PROTOBUF_LIMIT;
}

/**
 * Writes `g` as `path` (relative to `dir`), its weights in `model.onnx_data`
 * beside it when `external` (by default, when they would not fit one protobuf
 * message). Returns the files written.
 */
export function writeOnnx(g: GraphBuilder, graphName: string, dir: string, path: string, external = needsExternalData(g)): ModelFile[] {
  const { model, graph } = g.skeleton(graphName, 'hearth-make-real-model');
  const modelHead = onnx.ModelProto.encode({ ...model, graph: undefined }).finish();
  const graphHead = onnx.GraphProto.encode(graph).finish();
  const weights = g.weights();
  const dataPath = external ? join(dirname(path), 'model.onnx_data') : undefined;

  let offset = 0;
  const layouts = weights.map((weight) => {
    const laid = layout(weight, dataPath && basename(dataPath), offset);
    if (!laid.inline) offset += weight.byteLength;
    return laid;
  });
  const graphLength = layouts.reduce((sum, laid) => {
    const length = tensorLength(laid);
    return sum + fieldPrefix(FIELD.graphInitializer, length).length + length;
  }, graphHead.length);

  const graphFile = new HashedFile(join(dir, path));
  const dataFile = dataPath ? new HashedFile(join(dir, dataPath)) : undefined;
  graphFile.write(modelHead);
  graphFile.write(fieldPrefix(FIELD.modelGraph, graphLength));
  graphFile.write(graphHead);
  for (const laid of layouts) {
    graphFile.write(fieldPrefix(FIELD.graphInitializer, tensorLength(laid)));
    graphFile.write(laid.header);
    const bytes = laid.weight.bytes();
    if (bytes.length !== laid.weight.byteLength) throw new Error(`${laid.weight.name}: ${bytes.length} bytes, ${laid.weight.byteLength} announced`);
    if (laid.inline) {
      graphFile.write(fieldPrefix(FIELD.tensorRawData, bytes.length));
      graphFile.write(bytes);
    } else {
      dataFile!.write(bytes);
    }
  }
  const files: ModelFile[] = [{ path, ...graphFile.close() }];
  if (dataFile && dataPath) files.push({ path: dataPath, ...dataFile.close(), externalData: true });
  return files;
}
