/**
 * Runs a graph as `GraphBuilder` built it, in plain TypeScript, for the few
 * ops the tiny decoders use. The generator needs the tiny VAE's outputs to fit
 * the tiny preview decoder to them; doing it here keeps the generator
 * synchronous and its bytes the same on every host (no ORT build in the loop).
 */
import onnxProto from 'onnx-proto';
import type { GraphBuilder } from './onnx-graph.ts';

const { onnx } = onnxProto;

export interface Tensor {
  dims: number[];
  data: Float32Array;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function attr(node: onnxProto.onnx.INodeProto, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function initializerTensor(dims: number[], dataType: number, bytes: Uint8Array): Tensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = size(dims);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = dataType === onnx.TensorProto.DataType.INT64 ? Number(view.getBigInt64(i * 8, true)) : view.getFloat32(i * 4, true);
  return { dims, data };
}

function map(x: Tensor, f: (v: number) => number): Tensor {
  return { dims: x.dims, data: x.data.map(f) };
}

/** numpy-style broadcasting of two tensors. */
function broadcast(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  // The common cases (a scalar, or [C, 1, 1] against [N, C, H, W]) without per-element index arithmetic.
  if (b.data.length === 1) return { dims: a.dims, data: a.data.map((v) => f(v, b.data[0])) };
  if (a.dims.length === 4 && b.dims.length === 3 && b.dims[0] === a.dims[1] && b.dims[1] === 1 && b.dims[2] === 1) {
    const plane = a.dims[2] * a.dims[3];
    return { dims: a.dims, data: a.data.map((v, i) => f(v, b.data[Math.floor(i / plane) % b.dims[0]])) };
  }
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (dims: number[]) => [...new Array<number>(rank - dims.length).fill(1), ...dims];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((d, i) => Math.max(d, db[i]));
  const strides = (d: number[]) => {
    const s = new Array<number>(rank).fill(0);
    let step = 1;
    for (let i = rank - 1; i >= 0; i--) {
      s[i] = d[i] === 1 ? 0 : step;
      step *= d[i];
    }
    return s;
  };
  const sa = strides(da);
  const sb = strides(db);
  const data = new Float32Array(size(dims));
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < data.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      ia += index[k] * sa[k];
      ib += index[k] * sb[k];
    }
    data[i] = f(a.data[ia], b.data[ib]);
    for (let k = rank - 1; k >= 0 && ++index[k] === dims[k]; k--) index[k] = 0;
  }
  return { dims, data };
}

function conv(x: Tensor, w: Tensor, b: Tensor | undefined, pad: number): Tensor {
  const [n, cin, h, wd] = x.dims;
  const [cout, , kh, kw] = w.dims;
  const oh = h + 2 * pad - kh + 1;
  const ow = wd + 2 * pad - kw + 1;
  const out = new Float32Array(n * cout * oh * ow);
  for (let bi = 0; bi < n; bi++) {
    for (let o = 0; o < cout; o++) {
      const plane = out.subarray((bi * cout + o) * oh * ow, (bi * cout + o + 1) * oh * ow);
      plane.fill(b ? b.data[o] : 0);
      for (let c = 0; c < cin; c++) {
        const input = x.data.subarray((bi * cin + c) * h * wd, (bi * cin + c + 1) * h * wd);
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const weight = w.data[((o * cin + c) * kh + ky) * kw + kx];
            for (let y = 0; y < oh; y++) {
              const iy = y + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let xx = 0; xx < ow; xx++) {
                const ix = xx + kx - pad;
                if (ix >= 0 && ix < wd) plane[y * ow + xx] += weight * input[iy * wd + ix];
              }
            }
          }
        }
      }
    }
  }
  return { dims: [n, cout, oh, ow], data: out };
}

function instanceNorm(x: Tensor, scale: Tensor, bias: Tensor, epsilon: number): Tensor {
  const [n, c] = x.dims;
  const inner = size(x.dims.slice(2));
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < n * c; i++) {
    const part = x.data.subarray(i * inner, (i + 1) * inner);
    const mean = part.reduce((s, v) => s + v, 0) / inner;
    const variance = part.reduce((s, v) => s + (v - mean) ** 2, 0) / inner;
    const k = i % c;
    for (let j = 0; j < inner; j++) data[i * inner + j] = ((part[j] - mean) / Math.sqrt(variance + epsilon)) * scale.data[k] + bias.data[k];
  }
  return { dims: x.dims, data };
}

function reshape(x: Tensor, shape: Tensor): Tensor {
  const dims = Array.from(shape.data, (d, i) => (d === 0 ? x.dims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return { dims: dims.map((d) => (d === -1 ? x.data.length / known : d)), data: x.data };
}

/** Nearest 2x, as `upsample2x` exports it. */
function upsample2x(x: Tensor): Tensor {
  const [n, c, h, w] = x.dims;
  const data = new Float32Array(n * c * h * w * 4);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < 2 * h; y++) {
      for (let xx = 0; xx < 2 * w; xx++) data[(p * 2 * h + y) * 2 * w + xx] = x.data[(p * h + (y >> 1)) * w + (xx >> 1)];
    }
  }
  return { dims: [n, c, 2 * h, 2 * w], data };
}

/** Evaluates `graph` on `inputs` and returns the tensors named in `wanted`. */
export function evaluate(graph: GraphBuilder, inputs: Record<string, Tensor>, wanted: readonly string[]): Tensor[] {
  const values = new Map<string, Tensor>(Object.entries(inputs));
  for (const init of graph.weights()) values.set(init.name, initializerTensor(init.dims, init.dataType, init.bytes()));
  for (const node of graph.graphNodes()) {
    const [a, b, c] = node.input!.map((name) => (name === '' ? undefined : values.get(name)));
    let result: Tensor;
    switch (node.opType) {
      case 'Conv':
        result = conv(a!, b!, c, (attr(node, 'pads')?.ints?.[0] as number | undefined) ?? 0);
        break;
      case 'Relu':
        result = map(a!, (v) => Math.max(0, v));
        break;
      case 'Sigmoid':
        result = map(a!, (v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'Tanh':
        result = map(a!, Math.tanh);
        break;
      case 'Mul':
        result = broadcast(a!, b!, (x, y) => x * y);
        break;
      case 'Add':
        result = broadcast(a!, b!, (x, y) => x + y);
        break;
      case 'Div':
        result = broadcast(a!, b!, (x, y) => x / y);
        break;
      case 'Shape':
        result = { dims: [a!.dims.length], data: Float32Array.from(a!.dims) };
        break;
      case 'Reshape':
        result = reshape(a!, b!);
        break;
      case 'InstanceNormalization':
        result = instanceNorm(a!, b!, c!, attr(node, 'epsilon')?.f ?? 1e-5);
        break;
      case 'Resize':
        result = upsample2x(a!);
        break;
      default:
        throw new Error(`graph-eval: no ${node.opType}`);
    }
    values.set(node.output![0], result);
  }
  return wanted.map((name) => {
    const value = values.get(name);
    if (!value) throw new Error(`graph-eval: no tensor "${name}"`);
    return value;
  });
}
