import onnxProto from 'onnx-proto';
import type { Rng } from './random.ts';

const { onnx } = onnxProto;

/** ONNX element types used by the generated models. */
export const DType = {
  float: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
} as const;

/** Marks a float attribute, since `1` alone would be written as an int. */
export interface FloatAttr {
  float: number;
}

/** Attribute values: integers, integer lists, strings, or `floatAttr(x)`. */
export type AttrValue = number | number[] | string | FloatAttr;

/** Wraps a number so it is written as a FLOAT attribute. */
export const floatAttr = (value: number): FloatAttr => ({ float: value });

const OPSET = 17;
const IR_VERSION = 8;

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

// Explicit little-endian writes keep the bytes identical on any host.
function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return new Uint8Array(view.buffer);
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((value, i) => view.setBigInt64(i * 8, BigInt(value), true));
  return new Uint8Array(view.buffer);
}

/** A weight or constant as the graph records it; `bytes` gives its raw little-endian data. */
export interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  /** Bytes of the data, known before they are produced, so a writer can lay out the file first. */
  byteLength: number;
  bytes(): Uint8Array;
}

/** The graph without its weights: nodes, I/O and opset, ready to encode. */
export interface GraphSkeleton {
  model: onnxProto.onnx.IModelProto;
  graph: onnxProto.onnx.IGraphProto;
}

const eager = (name: string, dims: number[], dataType: number, data: Uint8Array): Initializer => ({
  name,
  dims,
  dataType,
  byteLength: data.length,
  bytes: () => data,
});

function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** Collects nodes, weights and I/O of one ONNX graph, then encodes it as an opset-17 model. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  protected readonly initializers: Initializer[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Map<string, number>();

  constructor(readonly rng: Rng) {}

  /** A tensor name not used before, derived from `base`. */
  fresh(base: string): string {
    const count = this.used.get(base) ?? 0;
    this.used.set(base, count + 1);
    return count === 0 ? base : `${base}_${count}`;
  }

  /** Adds a node and returns its (first) output name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output = this.fresh(op)): string {
    const attributes = Object.entries(attrs).map(([name, value]) => attribute(name, value));
    this.nodes.push({ opType: op, name: this.fresh(`${op}_node`), input: inputs, output: [output], attribute: attributes });
    return output;
  }

  /** Adds a float32 weight; Resize scales and the like pass `DType.float` so they stay float32 in any model. */
  initializer(name: string, dims: number[], data: ArrayLike<number>, dataType: number = DType.float): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${name}: ${data.length} values for dims [${dims}]`);
    if (dataType !== DType.float) throw new Error(`${name}: this builder writes float32 weights only`);
    const unique = this.fresh(name);
    this.initializers.push(eager(unique, dims, DType.float, float32Bytes(data)));
    return unique;
  }

  /** Adds a float32 weight of normal values with standard deviation `std` around `mean`. */
  random(name: string, dims: number[], std: number, mean = 0): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: count }, () => mean + std * this.rng.normal());
    return this.initializer(name, dims, data);
  }

  /** Adds an int64 constant, for shapes and axes. */
  int64s(name: string, values: number[]): string {
    const unique = this.fresh(name);
    this.initializers.push(eager(unique, [values.length], DType.int64, int64Bytes(values)));
    return unique;
  }

  /** Declares a graph input; string dims are symbolic. */
  input(name: string, elemType: number, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    this.used.set(name, 1);
    return name;
  }

  /** Declares a graph output, renaming tensor `from` so no Identity node is needed. */
  output(from: string, name: string, elemType: number, dims: (number | string)[]): void {
    for (const node of this.nodes) {
      node.output = node.output!.map((o) => (o === from ? name : o));
      node.input = node.input!.map((i) => (i === from ? name : i));
    }
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Every node, in the order they run. */
  graphNodes(): readonly onnxProto.onnx.INodeProto[] {
    return this.nodes;
  }

  /** Every initializer, in the order the graph records them. */
  weights(): readonly Initializer[] {
    return this.initializers;
  }

  /** The model and its graph without initializers, for writers that stream the weights. */
  skeleton(graphName: string, producerName = 'hearth-make-tiny-model'): GraphSkeleton {
    const graph = { name: graphName, node: this.nodes, input: this.inputs, output: this.outputs };
    const model = { irVersion: IR_VERSION, producerName, producerVersion: '1', opsetImport: [{ domain: '', version: OPSET }], graph };
    return { model, graph };
  }

  /** The serialized ModelProto, weights included. */
  encode(graphName: string): Uint8Array {
    const { model, graph } = this.skeleton(graphName);
    const initializer = this.initializers.map(({ name, dims, dataType, bytes }) => ({ name, dims, dataType, rawData: bytes() }));
    return onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph: { ...graph, initializer } })).finish();
  }
}
