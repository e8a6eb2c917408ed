import { describe, expect, it } from 'vitest';
import { ConfigError, HearthError, ModelFileError, restoreError, serializeError } from './errors.ts';

describe('errors across the worker boundary', () => {
  it('restore the subclass, its code and its fields after a structured clone', () => {
    const sent = structuredClone(serializeError(new ModelFileError('unet/model.onnx', 'lacks the input "timestep"')));
    const error = restoreError(sent);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toBeInstanceOf(HearthError);
    expect(error).toMatchObject({ code: 'model-file', file: 'unet/model.onnx', reason: 'lacks the input "timestep"' });
    expect(error.message).toBe('Model file unet/model.onnx: lacks the input "timestep"');
  });

  it('keep plain errors plain', () => {
    const error = restoreError(structuredClone(serializeError(new TypeError('boom'))));
    expect(error).not.toBeInstanceOf(HearthError);
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('boom');
  });

  it('name the field of a bad config', () => {
    expect(new ConfigError('scheduler_config.json', '_class_name', 'EulerDiscreteScheduler').message).toBe(
      'scheduler_config.json: "_class_name" is invalid; allowed: EulerDiscreteScheduler',
    );
  });
});
