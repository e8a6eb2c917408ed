/**
 * Hands ORT the weights a graph holds inside itself as external data, read
 * from the graph's own bytes. ORT copies a graph whole into the wasm heap to
 * parse it, and that heap never shrinks; external data is read from JS, each
 * weight copied once, and on WebGPU straight into a GPU buffer. For the
 * half-width SD-Turbo shape's 392 MB text encoder this took about 1 GB off
 * the renderer's peak at load (docs/real-size.md, "Embedded weights as
 * external data"). The rewritten graph keeps
 * everything but the moved `raw_data`, which becomes a location, an offset
 * and a length into the original bytes, as `onnx.external_data_helper`
 * writes them (https://onnx.ai/onnx/repo-docs/ExternalData.html).
 */
import { concatBytes } from '../../src/shared/concat-bytes.ts';
import { EXTERNAL, GRAPH, MODEL, NotOnnx, Reader, TENSOR, walk, type ByteSource } from '../store/onnx-scan.ts';

/** The location the moved weights get: the graph's own bytes, handed to ORT as one more external-data file. */
export const EMBEDDED_WEIGHTS = 'hearth-embedded-weights';

// Smaller tensors stay inside, as `onnx.external_data_helper` leaves those under its default 1024-byte threshold.
const MIN_BYTES = 1024;

/**
 * The graph in `file` with its embedded weights pointing into `file`, or
 * undefined when it has none to move (or is not ONNX: the scan that follows
 * names that). Only the graph's structure is read, not its weights.
 */
export async function moveEmbeddedWeights(file: ByteSource): Promise<Uint8Array | undefined> {
  const reader = new Reader(file);
  try {
    return await rewrite(reader, 0, file.size, (field, length, body) =>
      field === MODEL.graph ? rewrite(reader, body, body + length, (inner, size, from) => (inner === GRAPH.initializer ? tensorAsExternal(reader, from, from + size) : undefined)) : undefined,
    );
  } catch (error) {
    if (error instanceof NotOnnx) return undefined;
    throw error;
  }
}

/** A new body for a length-delimited field, `null` to drop it, or undefined to keep it as it is. */
type Replace = (field: number, length: number, body: number) => Promise<Uint8Array | null | undefined> | Uint8Array | null | undefined;

/** The message in [start, end) with fields replaced, `extra` appended; undefined when nothing changed. */
async function rewrite(reader: Reader, start: number, end: number, replace: Replace, extra?: Uint8Array): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let copied = start;
  await walk(reader, start, end, async (field, length, body, tagAt) => {
    if (body < 0) return;
    const replaced = await replace(field, length, body);
    if (replaced === undefined) return;
    parts.push(await reader.bytes(copied, tagAt - copied));
    if (replaced !== null) parts.push(lengthDelimited(field, replaced));
    copied = body + length;
  });
  if (parts.length === 0 && !extra) return undefined;
  parts.push(await reader.bytes(copied, end - copied));
  if (extra) parts.push(extra);
  return concatBytes(parts);
}

/** A TensorProto whose `raw_data` (when big enough) becomes external data at the same bytes. */
async function tensorAsExternal(reader: Reader, start: number, end: number): Promise<Uint8Array | undefined> {
  let raw: { offset: number; length: number } | undefined;
  await walk(reader, start, end, (field, length, body) => {
    if (field === TENSOR.rawData && body >= 0 && length >= MIN_BYTES) raw = { offset: body, length };
  });
  if (!raw) return undefined;
  const { offset, length } = raw;
  const entries = Object.entries({ location: EMBEDDED_WEIGHTS, offset: String(offset), length: String(length) }).map(([key, value]) =>
    lengthDelimited(TENSOR.externalData, concatBytes([lengthDelimited(1, text(key)), lengthDelimited(2, text(value))])),
  );
  const location = concatBytes([varint(TENSOR.dataLocation * 8), varint(EXTERNAL)]);
  return rewrite(reader, start, end, (field, size, body) => (field === TENSOR.rawData && body === offset ? null : undefined), concatBytes([...entries, location]));
}

const text = (value: string) => new TextEncoder().encode(value);

/** A length-delimited field (wire type 2): its tag, its length and its body. */
const lengthDelimited = (field: number, body: Uint8Array) => concatBytes([varint(field * 8 + 2), varint(body.length), body]);

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80);
  bytes.push(value);
  return Uint8Array.from(bytes);
}
