import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { externalize } from '../../e2e/external-data.ts';
import { tinyModelFiles } from '../../scripts/make-tiny-model.ts';
import { ModelFileError } from '../../src/shared/errors.ts';
import { createComponentSession, describeUnet, type RuntimeOptions } from './components.ts';

ort.env.wasm.numThreads = 1;
const runtime = { ort, backend: 'wasm' } as unknown as RuntimeOptions;
const files = tinyModelFiles();
// A stored file as the store hands it over.
const stored = (bytes: Uint8Array) => new Blob([Uint8Array.from(bytes)]);

async function failure(promise: Promise<unknown>): Promise<ModelFileError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

describe('createComponentSession', () => {
  it('opens a real component and exposes its inputs', async () => {
    const session = await createComponentSession(runtime, 'unet', files.get('unet/model.onnx')!);
    expect(session.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    await session.release();
  });

  it('creates the same session from a stored graph given as a Blob, weights inside and external alike', async () => {
    const ids = new ort.Tensor('int32', Int32Array.from({ length: 77 }, (_, i) => (i * 11) % 900), [1, 77]);
    const embeddings = async (session: ort.InferenceSession) => {
      const result = await session.run({ input_ids: ids });
      await session.release();
      return Array.from(result[session.outputNames[0]].data as Float32Array);
    };
    const graph = files.get('text_encoder/model.onnx')!;
    const fromBytes = await embeddings(await createComponentSession(runtime, 'textEncoder', graph));
    expect(fromBytes.length).toBeGreaterThan(0);
    expect(await embeddings(await createComponentSession(runtime, 'textEncoder', stored(graph)))).toEqual(fromBytes);
    const { graph: outside, data } = externalize(graph, 'model.onnx_data');
    expect(await embeddings(await createComponentSession(runtime, 'textEncoder', stored(outside), {}, [{ name: 'model.onnx_data', data: stored(data) }]))).toEqual(fromBytes);
  });

  it.each([
    ['bytes', (bytes: Uint8Array) => bytes],
    ['a stored Blob', stored],
  ])('names the file when it is not ONNX, given as %s', async (_, as) => {
    const error = await failure(createComponentSession(runtime, 'unet', as(new TextEncoder().encode('<html>not a model</html>'))));
    expect(error.file).toBe('unet/model.onnx');
    expect(error.message).toContain('is not a usable ONNX model');
  });

  it('names the file and the missing input when the model is the wrong one', async () => {
    const error = await failure(createComponentSession(runtime, 'unet', files.get('vae_decoder/model.onnx')!));
    expect(error.file).toBe('unet/model.onnx');
    expect(error.reason).toBe('lacks the input "sample" (it has latent_sample)');
  });

  it('hands external data to ORT under the name the graph records', async () => {
    const { graph, data } = externalize(files.get('unet/model.onnx')!, 'model.onnx_data');
    const session = await createComponentSession(runtime, 'unet', graph, {}, [{ name: 'model.onnx_data', data }]);
    expect(session.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    await session.release();
  });

  it('names a missing external-data file before ORT sees the model', async () => {
    const { graph } = externalize(files.get('unet/model.onnx')!, 'weights.pb');
    const error = await failure(createComponentSession(runtime, 'unet', graph, {}, [{ name: 'model.onnx_data', data: new Uint8Array(1) }]));
    expect(error.file).toBe('unet/model.onnx');
    expect(error.reason).toBe('needs the external-data file "weights.pb" beside it, which the model does not have');
  });
});

describe('describeUnet', () => {
  const openChannels = {
    inputMetadata: [
      { name: 'sample', isTensor: true, type: 'float32', shape: ['batch', 'channels', 'height', 'width'] },
      { name: 'timestep', isTensor: true, type: 'int64', shape: ['batch'] },
      { name: 'encoder_hidden_states', isTensor: true, type: 'float32', shape: ['batch', 'sequence', 768] },
    ],
  } as const;

  it("takes the manifest's channel count where the export leaves it open, as diffusers' exporter does, and 4 where neither says", () => {
    expect(describeUnet(openChannels, 9).sampleChannels).toBe(9);
    expect(describeUnet(openChannels).sampleChannels).toBe(4);
  });

  it('reads the channels a graph fixes, and names the UNet when the manifest disagrees', async () => {
    const inpainting = await createComponentSession(runtime, 'unet', tinyModelFiles(1, { inpainting: true }).get('unet/model.onnx')!);
    expect(describeUnet(inpainting).sampleChannels).toBe(9);
    expect(describeUnet(inpainting, 9).sampleChannels).toBe(9);
    const plain = await createComponentSession(runtime, 'unet', files.get('unet/model.onnx')!);
    expect(() => describeUnet(plain, 9)).toThrow(new ModelFileError('unet/model.onnx', "takes 4 input channels where the model's manifest says 9 (unetInChannels)"));
  });
});
