/**
 * Rewrites an ONNX model so its weights live in an external-data file, the
 * way torch.onnx.export stores models over 2 GB: each moved initializer keeps
 * its name and shape, loses its `raw_data`, and points to `location` with an
 * offset and a length (https://onnx.ai/onnx/repo-docs/ExternalData.html).
 * Used by the e2e model server and the warm-start bench; Node only.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** A model split into its graph and its external data. */
export interface ExternalDataModel {
  graph: Uint8Array;
  data: Uint8Array;
}

/** Moves every initializer of at least `minBytes` into `location`, appended in graph order. */
export function externalize(model: Uint8Array, location: string, minBytes = 256): ExternalDataModel {
  const proto = onnx.ModelProto.decode(model);
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of proto.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length < minBytes) continue;
    tensor.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.rawData = new Uint8Array(0);
    parts.push(raw);
    offset += raw.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { graph: onnx.ModelProto.encode(proto).finish(), data };
}
