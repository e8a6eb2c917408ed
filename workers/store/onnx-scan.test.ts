import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { externalize } from '../../e2e/external-data.ts';
import { tinyModelFiles } from '../../scripts/make-tiny-model.ts';
import { ModelFileError } from '../../src/shared/errors.ts';
import { blobSource, bytesSource, scanOnnx } from './onnx-scan.ts';

const { onnx } = onnxProto;
const unet = tinyModelFiles().get('unet/model.onnx')!;

describe('scanOnnx', () => {
  it('finds no external data in a self-contained fp32 model', async () => {
    expect(await scanOnnx(bytesSource(unet), 'unet/model.onnx')).toEqual({ externalData: [], float16: false });
  });

  it('names the external-data file a graph points to, from bytes and from a Blob read in windows', async () => {
    const { graph } = externalize(unet, 'model.onnx_data');
    const expected = { externalData: ['model.onnx_data'], float16: false };
    expect(await scanOnnx(bytesSource(graph), 'unet/model.onnx')).toEqual(expected);
    const reads: number[] = [];
    const blob = blobSource(new Blob([graph.slice()]));
    expect(await scanOnnx({ size: blob.size, read: (offset, length) => (reads.push(length), blob.read(offset, length)) }, 'x')).toEqual(expected);
    expect(reads.length).toBeLessThan(5);
  });

  it('skips weight bytes instead of reading them, and sees float16 weights', async () => {
    const model = onnx.ModelProto.decode(unet);
    const weight = new Uint8Array(8 * 2 ** 20);
    model.graph!.initializer!.unshift({ name: 'big', dims: [weight.length / 2], dataType: onnx.TensorProto.DataType.FLOAT16, rawData: weight });
    const bytes = onnx.ModelProto.encode(model).finish();
    const reads: number[] = [];
    const source = { size: bytes.length, read: (offset: number, length: number) => (reads.push(length), bytesSource(bytes).read(offset, length)) };
    expect(await scanOnnx(source, 'unet/model.onnx')).toEqual({ externalData: [], float16: true });
    expect(reads.reduce((a, b) => a + b, 0)).toBeLessThan(bytes.length / 16);
  });

  it.each([
    ['an HTML page', new TextEncoder().encode('<html>not a model</html>')],
    ['a truncated model', unet.subarray(0, 5000)],
    ['nothing', new Uint8Array(0)],
  ])('refuses %s, naming the file', async (_, bytes) => {
    const error = await scanOnnx(bytesSource(bytes), 'unet/model.onnx').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toMatchObject({ file: 'unet/model.onnx' });
    expect((error as ModelFileError).reason).toMatch(/^is not a usable ONNX model \(/);
  });
});
