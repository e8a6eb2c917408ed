import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { tinyModelFiles } from '../../scripts/make-tiny-model.ts';
import { ModelFileError } from '../../src/shared/errors.ts';
import { createComponentSession, type RuntimeOptions } from './components.ts';

ort.env.wasm.numThreads = 1;
const runtime = { ort, backend: 'wasm' } as unknown as RuntimeOptions;
const files = tinyModelFiles();

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

  it('names the file when it is not ONNX', async () => {
    const error = await failure(createComponentSession(runtime, 'unet', new TextEncoder().encode('<html>not a model</html>')));
    expect(error.file).toBe('unet/model.onnx');
    expect(error.message).toContain('is not a usable ONNX model');
  });

  it('names the file and the missing input when the model is the wrong one', async () => {
    const error = await failure(createComponentSession(runtime, 'unet', files.get('vae_decoder/model.onnx')!));
    expect(error.file).toBe('unet/model.onnx');
    expect(error.reason).toBe('lacks the input "sample" (it has latent_sample)');
  });
});
