import * as ort from 'onnxruntime-web';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { externalize } from '../../e2e/external-data.ts';
import { tinyModelFiles } from '../../scripts/make-tiny-model.ts';
import { blobSource, bytesSource } from '../store/onnx-scan.ts';
import { EMBEDDED_WEIGHTS, moveEmbeddedWeights } from './embedded-weights.ts';

const { onnx } = onnxProto;
ort.env.wasm.numThreads = 1;
const files = tinyModelFiles();
const GRAPHS = ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx'];

const entries = (tensor: onnxProto.onnx.ITensorProto) => Object.fromEntries((tensor.externalData ?? []).map(({ key, value }) => [key, value]));

describe('moveEmbeddedWeights', () => {
  it.each(GRAPHS)('points every weight of 1 KiB or more in %s at its own bytes, and leaves the rest of the graph as it was', async (path) => {
    // A plain Uint8Array, so both graphs decode to the same kinds of bytes (a Buffer decodes to Buffers).
    const original = Uint8Array.from(files.get(path)!);
    const moved = await moveEmbeddedWeights(bytesSource(original));
    expect(moved).toBeDefined();
    // A stored file is read through a Blob, a window at a time.
    expect(await moveEmbeddedWeights(blobSource(new Blob([original])))).toEqual(moved);
    const before = onnx.ModelProto.decode(original);
    const after = onnx.ModelProto.decode(moved!);
    const big = before.graph!.initializer!.filter((tensor) => tensor.rawData!.length >= 1024);
    expect(big.length).toBeGreaterThan(0);
    expect(moved!.length, 'what stays in the graph').toBeLessThan(original.length - big.reduce((sum, tensor) => sum + tensor.rawData!.length, 0) + big.length * 100);

    after.graph!.initializer!.forEach((tensor, i) => {
      const was = before.graph!.initializer![i];
      if (was.rawData!.length < 1024) return expect(tensor).toEqual(was);
      expect(tensor.name).toBe(was.name);
      expect(tensor.dims).toEqual(was.dims);
      expect(tensor.dataType).toBe(was.dataType);
      expect(tensor.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
      expect(tensor.rawData).toHaveLength(0);
      const { location, offset, length } = entries(tensor);
      expect(location).toBe(EMBEDDED_WEIGHTS);
      expect(original.subarray(Number(offset), Number(offset) + Number(length))).toEqual(was.rawData);
    });
    // Nodes, inputs, outputs and the model's own fields are untouched.
    expect(after.graph!.node).toEqual(before.graph!.node);
    expect(after.graph!.input).toEqual(before.graph!.input);
    expect(after.graph!.output).toEqual(before.graph!.output);
    expect({ ...after, graph: undefined }).toEqual({ ...before, graph: undefined });
  });

  it('makes a session whose outputs are those of the graph as it was, bit for bit (wasm)', async () => {
    const original = files.get('text_encoder/model.onnx')!;
    const moved = (await moveEmbeddedWeights(bytesSource(original)))!;
    const ids = new ort.Tensor('int32', Int32Array.from({ length: 77 }, (_, i) => (i * 37) % 900), [1, 77]);
    const outputs = async (session: ort.InferenceSession) => {
      const result = await session.run({ [session.inputNames[0]]: ids });
      const data = Array.from(result[session.outputNames[0]].data as Float32Array);
      await session.release();
      return data;
    };
    const plain = await outputs(await ort.InferenceSession.create(original));
    const external = await outputs(await ort.InferenceSession.create(moved, { externalData: [{ path: EMBEDDED_WEIGHTS, data: original }] }));
    expect(plain.length).toBeGreaterThan(0);
    expect(external).toEqual(plain);
  });

  it('leaves a graph whose weights are already outside, and bytes that are not ONNX, as they are', async () => {
    const { graph } = externalize(files.get('unet/model.onnx')!, 'weights.pb', 0);
    expect(await moveEmbeddedWeights(bytesSource(graph))).toBeUndefined();
    expect(await moveEmbeddedWeights(bytesSource(new TextEncoder().encode('<html>not a model</html>')))).toBeUndefined();
  });
});
