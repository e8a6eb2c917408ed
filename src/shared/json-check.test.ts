import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { parsePythonJson } from './json-check.ts';

describe('parsePythonJson', () => {
  it('reads the non-standard numbers Python writes, and leaves strings alone', () => {
    expect(parsePythonJson('{"a": -Infinity, "b": [Infinity, NaN], "c": "Infinity"}', 'x.json')).toEqual({
      a: -Infinity,
      b: [Infinity, null],
      c: 'Infinity',
    });
  });
  it('names the file when it is not JSON', () => {
    expect(() => parsePythonJson('{oops', 'scheduler_config.json')).toThrow(ConfigError);
    expect(() => parsePythonJson('{oops', 'scheduler_config.json')).toThrow(/scheduler_config.json/);
  });
});
