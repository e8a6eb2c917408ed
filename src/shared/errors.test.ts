import { expose, wrap } from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { installErrorTransfer } from './comlink-errors.ts';
import { ConfigError, DownloadBusyError, HearthError, LicenceNotAcceptedError, ModelFileError, restoreError, serializeError } from './errors.ts';

const acrossThreads = (error: unknown) => restoreError(structuredClone(serializeError(error)));

describe('errors across the worker boundary', () => {
  it('restore the subclass, its code and its fields after a structured clone', () => {
    const error = acrossThreads(new ModelFileError('unet/model.onnx', 'lacks the input "timestep"'));
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toBeInstanceOf(HearthError);
    expect(error).toMatchObject({ code: 'model-file', file: 'unet/model.onnx', reason: 'lacks the input "timestep"' });
    expect(error.message).toBe('Model file unet/model.onnx: lacks the input "timestep"');
  });

  it('keep plain errors plain', () => {
    const error = acrossThreads(new TypeError('boom'));
    expect(error).not.toBeInstanceOf(HearthError);
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('boom');
  });

  it('keep the stack of where they were thrown', () => {
    function throwsInTheWorker(): never {
      throw new ModelFileError('unet/model.onnx', 'broken');
    }
    const thrown = (() => {
      try {
        throwsInTheWorker();
      } catch (error) {
        return error as Error;
      }
    })();
    expect(acrossThreads(thrown).stack).toBe(thrown.stack);
    expect(acrossThreads(thrown).stack).toContain('throwsInTheWorker');
    expect(acrossThreads(new RangeError('plain')).stack).toContain('errors.test.ts');
  });

  it('turn a code this build does not know (a worker of another build) into a plain Error with its message', () => {
    const error = restoreError({ ...serializeError(new ConfigError('a', 'b', 'c')), code: 'from-a-newer-build' as 'config' });
    expect(error).not.toBeInstanceOf(HearthError);
    expect(error.message).toBe('a: "b" is invalid; allowed: c');
  });

  it('arrive through comlink as the class that was thrown', async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    expose({ download: () => Promise.reject(new DownloadBusyError('SD-Turbo')) }, port1 as unknown as MessagePort);
    const remote = wrap<{ download(): Promise<void> }>(port2 as unknown as MessagePort);
    const error = await remote.download().catch((caught: unknown) => caught);
    port1.close();
    port2.close();
    expect(error).toBeInstanceOf(DownloadBusyError);
    expect(error).toMatchObject({ code: 'download-busy', model: 'SD-Turbo' });
  });
});

describe('error messages', () => {
  it('name the field of a bad config', () => {
    expect(new ConfigError('scheduler_config.json', '_class_name', 'EulerDiscreteScheduler').message).toBe(
      'scheduler_config.json: "_class_name" is invalid; allowed: EulerDiscreteScheduler',
    );
  });

  it('say what to do about a licence or a download already running', () => {
    expect(new LicenceNotAcceptedError('LCM Dreamshaper v7', 'OpenRAIL-M').message).toBe('Accept the OpenRAIL-M licence of LCM Dreamshaper v7 before downloading it.');
    expect(new DownloadBusyError('SD-Turbo').message).toBe('SD-Turbo is already downloading: one download of a model at a time.');
  });
});
