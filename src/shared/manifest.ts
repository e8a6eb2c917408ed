import { ConfigError } from './errors.ts';
import { field, isObject, isPositive, isPrecision, isString, optionalField } from './json-check.ts';
import { isUnetInChannels, UNET_IN_CHANNELS, type ModelFile, type ModelManifest } from './model.ts';
import { networkPath, REQUIRED_NETWORKS } from './networks.ts';
import { isSchedulerChoice, SCHEDULERS } from './settings.ts';

const isSha256 = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
// Paths resolve against the model's folder URL or key the store: no leading slash, no `..`, no scheme.
const isRelativePath = (value: unknown): value is string =>
  isString(value) && value.length <= 300 && /^[\w.-]+(?:\/[\w.-]+)*$/.test(value) && !value.split('/').some((part) => part === '.' || part === '..');
// An id keys IndexedDB, the page's Maps and its attributes. Starting with a letter or digit rules out
// `__proto__`, which a plain object would take for its prototype.
const isModelId = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9][\w.-]{0,99}$/.test(value);
const isByteCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const isName = (value: unknown): value is string => isString(value) && value.length <= 200;
const isDescription = (value: unknown): value is string => typeof value === 'string' && value.length <= 10_000;
/** More files than any diffusers export has; a list longer than this is not a model. */
const MAX_FILES = 1000;

const optionalEntry = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

/** Checks a `hearth-model.json` and returns it typed; names the first bad field. */
export function parseManifest(json: unknown, source = 'hearth-model.json'): ModelManifest {
  if (!isObject(json)) throw new ConfigError(source, '(file)', 'a JSON object');
  const isFileList = (value: unknown): value is unknown[] => Array.isArray(value) && value.length <= MAX_FILES;
  const files = field(source, json, 'files', isFileList, `a list of at most ${MAX_FILES} { path, size, sha256, externalData? }`).map((file: unknown, index: number) => {
    const where = `${source} files[${index}]`;
    if (!isObject(file)) throw new ConfigError(where, '(entry)', 'an object { path, size, sha256, externalData? }');
    const parsed: ModelFile = {
      path: field(where, file, 'path', isRelativePath, 'a relative path such as "unet/model.onnx" (no "..", no leading "/", no URL), at most 300 characters'),
      size: field(where, file, 'size', isByteCount, 'a whole number of bytes'),
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
    id: field(source, json, 'id', isModelId, 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 100 characters'),
    name: field(source, json, 'name', isName, 'a name of 1 to 200 characters'),
    description: optionalField(source, json, 'description', isDescription, 'text of at most 10,000 characters') ?? '',
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
    ...optionalEntry('largestTensorBytes', optionalField(source, json, 'largestTensorBytes', isByteCount, 'a whole number of bytes')),
    ...optionalEntry('unetInChannels', optionalField(source, json, 'unetInChannels', isUnetInChannels, `the UNet's input channels, ${UNET_IN_CHANNELS.join(' or ')} (9: inpainting)`)),
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

/** Where a model keeps a preview decoder of its own (the built-in model does); see `PreviewDecoderFile`. */
export const PREVIEW_DECODER_PATH = 'preview_decoder/model.onnx';

/** Files the engine reads when a model has them. */
export const OPTIONAL_FILES = ['tokenizer/tokenizer_config.json', 'tokenizer/special_tokens_map.json', PREVIEW_DECODER_PATH] as const;

/** Throws `ConfigError` naming the required files a manifest does not list. */
export function requireModelFiles(manifest: ModelManifest, source = 'hearth-model.json'): void {
  const missing = REQUIRED_FILES.filter((path) => !manifest.files.some((file) => file.path === path));
  if (missing.length > 0) throw new ConfigError(source, 'files', `a list that includes ${missing.join(', ')}`);
}
