import { ConfigError } from './errors.ts';
import { field, isObject, isPositive, isPrecision, isString, optionalField } from './json-check.ts';
import type { ModelFile, ModelManifest } from './model.ts';
import { networkPath, REQUIRED_NETWORKS } from './networks.ts';
import { isSchedulerChoice, SCHEDULERS } from './settings.ts';

const isSha256 = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
// Paths resolve against the model's folder URL or key the store: no leading slash, no `..`, no scheme.
const isRelativePath = (value: unknown): value is string =>
  isString(value) && /^[\w.-]+(?:\/[\w.-]+)*$/.test(value) && !value.split('/').some((part) => part === '.' || part === '..');

/** Checks a `hearth-model.json` and returns it typed; names the first bad field. */
export function parseManifest(json: unknown, source = 'hearth-model.json'): ModelManifest {
  if (!isObject(json)) throw new ConfigError(source, '(file)', 'a JSON object');
  const files = field(source, json, 'files', Array.isArray, 'a list of { path, size, sha256, externalData? }').map((file: unknown, index: number) => {
    const where = `${source} files[${index}]`;
    if (!isObject(file)) throw new ConfigError(where, '(entry)', 'an object { path, size, sha256, externalData? }');
    const parsed: ModelFile = {
      path: field(where, file, 'path', isRelativePath, 'a relative path such as "unet/model.onnx"'),
      size: field(where, file, 'size', isPositive, 'a size in bytes'),
      sha256: field(where, file, 'sha256', isSha256, '64 lowercase hex digits'),
    };
    if (optionalField(where, file, 'externalData', (v): v is boolean => typeof v === 'boolean', 'true or false')) parsed.externalData = true;
    return parsed;
  });
  const paths = files.map((file) => file.path);
  const duplicate = paths.find((path, index) => paths.indexOf(path) !== index);
  if (duplicate !== undefined) throw new ConfigError(`${source} file "${duplicate}"`, 'path', 'a path listed once');
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
      scheduler: field(`${source} defaults`, defaults, 'scheduler', isSchedulerChoice, Object.keys(SCHEDULERS).join(', ')),
    },
    sizes: {
      min: field(`${source} sizes`, sizes, 'min', isPositive, 'pixels'),
      max: field(`${source} sizes`, sizes, 'max', isPositive, 'pixels'),
      multiple: field(`${source} sizes`, sizes, 'multiple', isPositive, 'pixels, usually 64'),
    },
  };
}

/** Files every model needs, in diffusers' ONNX layout; the engine reads them under these paths. */
export const REQUIRED_FILES = [
  ...REQUIRED_NETWORKS.map(networkPath),
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'scheduler/scheduler_config.json',
];

/** Files the engine reads when a model has them. */
export const OPTIONAL_FILES = ['tokenizer/tokenizer_config.json', 'tokenizer/special_tokens_map.json'] as const;

/** Throws `ConfigError` naming the required files a manifest does not list. */
export function requireModelFiles(manifest: ModelManifest, source = 'hearth-model.json'): void {
  const missing = REQUIRED_FILES.filter((path) => !manifest.files.some((file) => file.path === path));
  if (missing.length > 0) throw new ConfigError(source, 'files', `a list that includes ${missing.join(', ')}`);
}
