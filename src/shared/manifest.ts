import { ConfigError } from './errors.ts';
import { field, isObject, isPositive, isPrecision, isScheduler, isString } from './json-check.ts';
import type { ModelManifest } from './protocol.ts';
import { SCHEDULERS } from './settings.ts';

const isSha256 = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);

/** Checks a `hearth-model.json` and returns it typed; names the first bad field. */
export function parseManifest(json: unknown, source = 'hearth-model.json'): ModelManifest {
  if (!isObject(json)) throw new ConfigError(source, '(file)', 'a JSON object');
  const files = field(source, json, 'files', Array.isArray, 'a list of { path, size, sha256 }').map((file: unknown, index: number) => {
    const where = `${source} files[${index}]`;
    if (!isObject(file)) throw new ConfigError(where, '(entry)', 'an object { path, size, sha256 }');
    return {
      path: field(where, file, 'path', isString, 'a relative path'),
      size: field(where, file, 'size', isPositive, 'a size in bytes'),
      sha256: field(where, file, 'sha256', isSha256, '64 lowercase hex digits'),
    };
  });
  const defaults = field(source, json, 'defaults', isObject, 'an object of default settings');
  const sizes = field(source, json, 'sizes', isObject, 'an object { min, max, multiple }');
  return {
    id: field(source, json, 'id', isString, 'a non-empty id'),
    name: field(source, json, 'name', isString, 'a non-empty name'),
    description: typeof json.description === 'string' ? json.description : '',
    precision: field(source, json, 'precision', isPrecision, '"fp32" or "fp16"'),
    files,
    vaeScalingFactor: field(source, json, 'vaeScalingFactor', isPositive, 'a positive number such as 0.18215'),
    defaults: {
      width: field(`${source} defaults`, defaults, 'width', isPositive, 'pixels'),
      height: field(`${source} defaults`, defaults, 'height', isPositive, 'pixels'),
      steps: field(`${source} defaults`, defaults, 'steps', isPositive, 'a step count'),
      guidance: field(`${source} defaults`, defaults, 'guidance', (v): v is number => typeof v === 'number' && v >= 0, 'a number >= 0'),
      scheduler: field(`${source} defaults`, defaults, 'scheduler', isScheduler, Object.keys(SCHEDULERS).join(', ')),
    },
    sizes: {
      min: field(`${source} sizes`, sizes, 'min', isPositive, 'pixels'),
      max: field(`${source} sizes`, sizes, 'max', isPositive, 'pixels'),
      multiple: field(`${source} sizes`, sizes, 'multiple', isPositive, 'pixels, usually 64'),
    },
  };
}
