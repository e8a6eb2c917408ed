/**
 * Reads what an `.onnx` file says about its weights without loading it: which
 * external-data files its initializers point to, and whether any is float16.
 * ORT's native WebGPU EP cannot recover from a failed external-data load
 * (docs/ort-web.md, "One queue for every call"), so a missing file must be
 * caught before ORT sees the model. It walks the protobuf wire format
 * (https://protobuf.dev/programming-guides/encoding/) of `onnx.proto`
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto), skipping weight
 * bytes, so a 2 GB single-file model costs a few hundred small reads.
 */
import { ModelFileError } from '../../src/shared/errors.ts';

/** Random access to a file's bytes: a Blob from the store or a picked file, or bytes in memory. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface OnnxFacts {
  /** External-data locations as the graph records them, relative to the model's folder. */
  externalData: string[];
  /** True when an initializer is float16: an fp16 export. */
  float16: boolean;
}

const WINDOW = 64 * 1024;
// Field numbers in onnx.proto.
export const MODEL = { irVersion: 1, graph: 7 };
export const GRAPH = { initializer: 5 };
export const TENSOR = { dataType: 2, rawData: 9, externalData: 13, dataLocation: 14 };
const FLOAT16 = 10;
export const EXTERNAL = 1;

/** A recorded location as a path relative to the graph's folder (some exporters write `./weights.pb`). */
export const relativeLocation = (location: string): string => location.replace(/^(\.\/)+/, '');

/** A Blob as a `ByteSource`. */
export const blobSource = (blob: Blob): ByteSource => ({
  size: blob.size,
  read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
});

/** Bytes in memory as a `ByteSource`. */
export const bytesSource = (bytes: Uint8Array): ByteSource => ({
  size: bytes.length,
  read: async (offset, length) => bytes.subarray(offset, offset + length),
});

export class NotOnnx extends Error {}

/** Reads through a sliding window, so small fields cost no extra reads and skipped weights cost none. */
export class Reader {
  #window: Uint8Array = new Uint8Array(0);
  #start = 0;

  constructor(readonly source: ByteSource) {}

  async bytes(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.source.size) throw new NotOnnx(`it ends inside a field at byte ${offset}`);
    if (offset < this.#start || offset + length > this.#start + this.#window.length) {
      this.#start = offset;
      this.#window = await this.source.read(offset, Math.min(Math.max(length, WINDOW), this.source.size - offset));
    }
    return this.#window.subarray(offset - this.#start, offset - this.#start + length);
  }

  /** A base-128 varint at `offset`: its value (exact below 2^53) and where the next field starts. */
  async varint(offset: number): Promise<[value: number, next: number]> {
    const bytes = await this.bytes(offset, Math.min(10, this.source.size - offset));
    let value = 0;
    for (let i = 0; i < bytes.length; i++) {
      value += (bytes[i] & 0x7f) * 2 ** (7 * i);
      if (bytes[i] < 0x80) return [value, offset + i + 1];
    }
    throw new NotOnnx(`a varint at byte ${offset} does not end`);
  }
}

type Visit = (field: number, value: number, start: number, tagAt: number) => Promise<void> | void;

/**
 * Calls `visit` for each field in [start, end): varints with their value,
 * length-delimited ones with their length and start; `tagAt` is where the
 * field itself starts. Fixed-width fields are skipped.
 */
export async function walk(reader: Reader, start: number, end: number, visit: Visit): Promise<void> {
  for (let at = start; at < end; ) {
    const [tag, next] = await reader.varint(at);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new NotOnnx(`byte ${at} is not a protobuf field`);
    if (wire === 0) {
      const [value, after] = await reader.varint(next);
      await visit(field, value, -1, at);
      at = after;
    } else if (wire === 2) {
      const [length, body] = await reader.varint(next);
      if (body + length > end) throw new NotOnnx(`field ${field} at byte ${at} runs past its message`);
      await visit(field, length, body, at);
      at = body + length;
    } else if (wire === 1 || wire === 5) {
      at = next + (wire === 1 ? 8 : 4);
    } else {
      throw new NotOnnx(`byte ${at} is not a protobuf field`);
    }
    if (at > end) throw new NotOnnx(`field ${field} runs past its message`);
  }
}

async function text(reader: Reader, start: number, length: number): Promise<string> {
  return new TextDecoder().decode(await reader.bytes(start, length));
}

/** The `location` entry of a TensorProto's external_data list, when the tensor lives outside the graph. */
async function scanTensor(reader: Reader, start: number, end: number): Promise<{ location?: string; float16: boolean }> {
  let location: string | undefined;
  let external = false;
  let float16 = false;
  await walk(reader, start, end, async (field, value, at) => {
    if (field === TENSOR.dataType) float16 = value === FLOAT16;
    if (field === TENSOR.dataLocation) external = value === EXTERNAL;
    if (field !== TENSOR.externalData || at < 0) return;
    let key = '';
    let entry = '';
    await walk(reader, at, at + value, async (inner, length, from) => {
      if (from < 0) return;
      if (inner === 1) key = await text(reader, from, length);
      if (inner === 2) entry = await text(reader, from, length);
    });
    if (key === 'location') location = entry;
  });
  return { location: external ? location : undefined, float16 };
}

/** Scans an `.onnx` file; throws `ModelFileError` naming `path` when it is not an ONNX model. */
export async function scanOnnx(source: ByteSource, path: string): Promise<OnnxFacts> {
  const reader = new Reader(source);
  const locations = new Set<string>();
  let float16 = false;
  let irVersion = 0;
  let graph = false;
  try {
    await walk(reader, 0, source.size, async (field, value, at) => {
      if (field === MODEL.irVersion && at < 0) irVersion = value;
      if (field !== MODEL.graph || at < 0) return;
      graph = true;
      await walk(reader, at, at + value, async (inner, length, from) => {
        if (inner !== GRAPH.initializer || from < 0) return;
        const tensor = await scanTensor(reader, from, from + length);
        float16 ||= tensor.float16;
        if (tensor.location !== undefined) locations.add(tensor.location);
      });
    });
    if (irVersion < 1 || irVersion > 100 || !graph) throw new NotOnnx('it has no ONNX ir_version and graph');
  } catch (error) {
    if (!(error instanceof NotOnnx)) throw error;
    const start = new TextDecoder().decode((await source.read(0, Math.min(16, source.size))).map((byte) => (byte >= 32 && byte < 127 ? byte : 46)));
    throw new ModelFileError(path, `is not a usable ONNX model (${error.message}; it starts with "${start}")`);
  }
  return { externalData: [...locations], float16 };
}
