/**
 * The model catalog (`public/catalog.json`): which real models Hearth can
 * fetch, from which Hugging Face repo and revision, and what a device needs to
 * run each export. It is data, not code; `parseCatalog` checks every field
 * when the file loads, so a bad edit fails with the entry and field named.
 * `pickVariant` (device-fit.ts) matches the requirements against a device.
 */
import { ConfigError } from './errors.ts';
import { field, isObject, isPositive, isPrecision, isString, onlyKeys, optionalField, type Json } from './json-check.ts';
import type { Backend } from './backend.ts';
import { isUnetInChannels, UNET_IN_CHANNELS, type ModelManifest, type UnetInChannels } from './model.ts';
import { NETWORK_NAMES, NETWORKS, networkPath, perNetwork, REQUIRED_NETWORKS, type NetworkName, type PerNetwork } from './networks.ts';
import { isSchedulerChoice, SCHEDULERS, type SizeRange } from './settings.ts';

/** Architectures the pipeline knows; `sd15-lcm` UNets take the guidance scale as an extra input (`timestep_cond`). */
export const FAMILIES = ['sd15', 'sd15-lcm', 'sd21', 'sd-turbo'] as const;
export type ModelFamily = (typeof FAMILIES)[number];

/** A file in a repo; `approxBytes` is a display size only (exact sizes come from the LFS pointer). */
export interface CatalogFile {
  path: string;
  approxBytes?: number;
}

/**
 * An ONNX model, with the external-data files (`weights.pb`, `model.onnx_data`)
 * its graph points to. Paths are repo paths; ORT wants each external file under
 * the name the graph records, which is its path relative to the model's folder.
 */
export interface CatalogModelFile extends CatalogFile {
  externalData?: CatalogFile[];
}

/** Where the CLIP tokenizer files live; often the export's own repo, else the base model's. */
export interface CatalogTokenizer {
  repo: string;
  revision: string;
  vocab: string;
  merges: string;
  config?: string;
  specialTokensMap?: string;
}

/** What a device must offer; limits are in bytes, sized for the largest single weight tensor. */
export interface VariantRequirements {
  backends: Backend[];
  features: string[];
  minMaxBufferSize?: number;
  minStorageBufferBindingSize?: number;
}

/** One export of a model (fp16 or fp32), from one repo at one revision. */
export interface CatalogVariant {
  id: string;
  precision: 'fp16' | 'fp32';
  repo: string;
  revision: string;
  files: PerNetwork<CatalogModelFile>;
  tokenizer: CatalogTokenizer;
  /** Path of `scheduler_config.json` in `repo`. */
  scheduler: string;
  requirements: VariantRequirements;
  note?: string;
}

/** The model's licence as its repo declares it; `commercialUse` is false wherever it is restricted. */
export interface CatalogLicence {
  name: string;
  url: string;
  commercialUse: boolean;
  note?: string;
}

/** A model as the user picks it; `variants` are tried in order by `pickVariant`. */
export interface CatalogEntry {
  id: string;
  name: string;
  description: string;
  family: ModelFamily;
  /** True only once the model has been seen generating correct images in Hearth. */
  verified: boolean;
  licence: CatalogLicence;
  vaeScalingFactor: number;
  defaults: ModelManifest['defaults'];
  sizes: SizeRange;
  /** 9 for an inpainting model; see `ModelManifest.unetInChannels`. */
  unetInChannels?: UnetInChannels;
  variants: CatalogVariant[];
}

/**
 * A preview decoder (TAESD) offered as its own small download: one ONNX graph
 * in a repo at a revision, used for every model whose latents it reads.
 */
export interface CatalogPreviewDecoder {
  id: string;
  name: string;
  description: string;
  verified: boolean;
  licence: CatalogLicence;
  /** The latent space it decodes, named by the VAE scaling factor of the models that use it (0.18215: SD 1.x/2.x). */
  vaeScalingFactor: number;
  repo: string;
  revision: string;
  file: CatalogFile;
  note?: string;
}

/** The whole `catalog.json`. */
export interface Catalog {
  version: 1;
  /** Id of the entry offered first. */
  default: string;
  models: CatalogEntry[];
  previewDecoders: CatalogPreviewDecoder[];
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isText = (value: unknown): value is string => typeof value === 'string';
const isId = (value: unknown): value is string => typeof value === 'string' && /^[a-z0-9]+(?:[-.][a-z0-9]+)*$/.test(value);
// Hugging Face repo ids are `owner/name` of letters, digits, `-`, `_` and `.`.
const isRepo = (value: unknown): value is string => typeof value === 'string' && /^[\w-][\w.-]*\/[\w-][\w.-]*$/.test(value);
const isRepoPath = (value: unknown): value is string =>
  typeof value === 'string' && /^[\w.-]+(?:\/[\w.-]+)*$/.test(value) && !value.split('/').some((part) => part === '.' || part === '..');
// A commit sha pins the bytes; a branch such as `main` is allowed where no sha is published.
const isRevision = isRepoPath;
const isFamily = (value: unknown): value is ModelFamily => FAMILIES.includes(value as ModelFamily);
const isHttpsUrl = (value: unknown): value is string => typeof value === 'string' && /^https:\/\/\S+$/.test(value);
const isGuidance = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isBackends = (value: unknown): value is Backend[] =>
  Array.isArray(value) && value.length > 0 && new Set(value).size === value.length && value.every((b) => b === 'webgpu' || b === 'wasm');
const isFeatures = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** Checks `catalog.json` and returns it typed; throws `ConfigError` naming the entry and field. */
export function parseCatalog(json: unknown, source = 'catalog.json'): Catalog {
  if (!isObject(json)) throw new ConfigError(source, '(file)', 'a JSON object { version, default, models }');
  onlyKeys(source, json, ['version', 'default', 'models', 'previewDecoders']);
  field(source, json, 'version', (v): v is 1 => v === 1, '1');
  const list = field(source, json, 'models', (v): v is unknown[] => Array.isArray(v) && v.length > 0, 'a non-empty list of models');
  const models = list.map((entry, index) => parseEntry(entry, `${source} models[${index}]`, source));
  const decoderList = optionalField(source, json, 'previewDecoders', (v): v is unknown[] => Array.isArray(v), 'a list of preview decoders') ?? [];
  const previewDecoders = decoderList.map((entry, index) => parsePreviewDecoder(entry, `${source} previewDecoders[${index}]`, source));
  // Licences are accepted per id, so a model and a preview decoder cannot share one.
  const ids = [...models, ...previewDecoders].map((item) => item.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new ConfigError(`${source} "${duplicate}"`, 'id', 'an id used by no other model or preview decoder');
  const modelIds = models.map((model) => model.id);
  const defaultId = field(source, json, 'default', (v): v is string => modelIds.includes(v as string), `one of ${modelIds.join(', ')}`);
  return { version: 1, default: defaultId, models, previewDecoders };
}

function parsePreviewDecoder(json: unknown, where: string, source: string): CatalogPreviewDecoder {
  if (!isObject(json)) throw new ConfigError(where, '(entry)', 'an object');
  const id = field(where, json, 'id', isId, 'lowercase letters, digits, "-" and "."');
  const at = `${source} preview decoder "${id}"`;
  onlyKeys(at, json, ['id', 'name', 'description', 'verified', 'licence', 'vaeScalingFactor', 'repo', 'revision', 'file', 'note']);
  return {
    id,
    name: field(at, json, 'name', isString, 'a non-empty name'),
    description: field(at, json, 'description', isText, 'a string'),
    verified: field(at, json, 'verified', isBoolean, 'true or false'),
    licence: parseLicence(field(at, json, 'licence', isObject, 'an object { name, url, commercialUse }'), `${at} licence`),
    vaeScalingFactor: field(at, json, 'vaeScalingFactor', isPositive, 'the VAE scaling factor of the models it serves, such as 0.18215'),
    repo: field(at, json, 'repo', isRepo, 'a Hugging Face repo id "owner/name"'),
    revision: field(at, json, 'revision', isRevision, 'a commit sha or branch name'),
    file: parseFile(json.file, `${at} file`, ['path', 'approxBytes']),
    note: optionalField(at, json, 'note', isString, 'a non-empty string'),
  };
}

function parseEntry(json: unknown, where: string, source: string): CatalogEntry {
  if (!isObject(json)) throw new ConfigError(where, '(entry)', 'an object');
  const id = field(where, json, 'id', isId, 'lowercase letters, digits, "-" and "."');
  const at = `${source} model "${id}"`;
  onlyKeys(at, json, ['id', 'name', 'description', 'family', 'verified', 'licence', 'vaeScalingFactor', 'defaults', 'sizes', 'unetInChannels', 'variants']);
  const sizes = parseSizes(field(at, json, 'sizes', isObject, 'an object { min, max, multiple }'), `${at} sizes`);
  const variantList = field(at, json, 'variants', (v): v is unknown[] => Array.isArray(v) && v.length > 0, 'a non-empty list of variants');
  const variants = variantList.map((variant, index) => parseVariant(variant, `${at} variants[${index}]`, at));
  const variantIds = variants.map((variant) => variant.id);
  const duplicate = variantIds.find((variantId, index) => variantIds.indexOf(variantId) !== index);
  if (duplicate !== undefined) throw new ConfigError(`${at} variant "${duplicate}"`, 'id', 'an id used by no other variant of this model');
  const unetInChannels = optionalField(at, json, 'unetInChannels', isUnetInChannels, `the UNet's input channels, ${UNET_IN_CHANNELS.join(' or ')} (9: inpainting)`);
  return {
    id,
    name: field(at, json, 'name', isString, 'a non-empty name'),
    description: field(at, json, 'description', isText, 'a string'),
    family: field(at, json, 'family', isFamily, FAMILIES.join(', ')),
    verified: field(at, json, 'verified', isBoolean, 'true or false'),
    licence: parseLicence(field(at, json, 'licence', isObject, 'an object { name, url, commercialUse }'), `${at} licence`),
    vaeScalingFactor: field(at, json, 'vaeScalingFactor', isPositive, 'a positive number such as 0.18215'),
    defaults: parseDefaults(field(at, json, 'defaults', isObject, 'an object of default settings'), `${at} defaults`, sizes),
    sizes,
    ...(unetInChannels === undefined ? {} : { unetInChannels }),
    variants,
  };
}

function parseSizes(json: Json, at: string): SizeRange {
  onlyKeys(at, json, ['min', 'max', 'multiple']);
  const multiple = field(at, json, 'multiple', isCount, 'pixels, usually 64');
  const isStep = (v: unknown): v is number => isCount(v) && v % multiple === 0;
  const min = field(at, json, 'min', isStep, `pixels, a multiple of ${multiple}`);
  const max = field(at, json, 'max', (v): v is number => isStep(v) && v >= min, `pixels, a multiple of ${multiple}, at least min (${min})`);
  return { min, max, multiple };
}

function parseDefaults(json: Json, at: string, sizes: SizeRange): ModelManifest['defaults'] {
  onlyKeys(at, json, ['width', 'height', 'steps', 'guidance', 'scheduler']);
  const isSide = (v: unknown): v is number => isCount(v) && v >= sizes.min && v <= sizes.max && v % sizes.multiple === 0;
  const side = `pixels from ${sizes.min} to ${sizes.max}, a multiple of ${sizes.multiple}`;
  return {
    width: field(at, json, 'width', isSide, side),
    height: field(at, json, 'height', isSide, side),
    steps: field(at, json, 'steps', isCount, 'a whole number of steps, at least 1'),
    guidance: field(at, json, 'guidance', isGuidance, 'a number >= 0'),
    scheduler: field(at, json, 'scheduler', isSchedulerChoice, Object.keys(SCHEDULERS).join(', ')),
  };
}

function parseLicence(json: Json, at: string): CatalogLicence {
  onlyKeys(at, json, ['name', 'url', 'commercialUse', 'note']);
  return {
    name: field(at, json, 'name', isString, 'the licence name'),
    url: field(at, json, 'url', isHttpsUrl, 'an https:// link to the licence text'),
    commercialUse: field(at, json, 'commercialUse', isBoolean, 'true or false'),
    note: optionalField(at, json, 'note', isString, 'a non-empty string'),
  };
}

function parseVariant(json: unknown, where: string, entryAt: string): CatalogVariant {
  if (!isObject(json)) throw new ConfigError(where, '(variant)', 'an object');
  const id = field(where, json, 'id', isId, 'lowercase letters, digits, "-" and "."');
  const at = `${entryAt} variant "${id}"`;
  onlyKeys(at, json, ['id', 'precision', 'repo', 'revision', 'files', 'tokenizer', 'scheduler', 'requirements', 'note']);
  const files = field(at, json, 'files', isObject, `an object with ${REQUIRED_NETWORKS.join(', ')}`);
  onlyKeys(`${at} files`, files, NETWORK_NAMES);
  return {
    id,
    precision: field(at, json, 'precision', isPrecision, '"fp32" or "fp16"'),
    repo: field(at, json, 'repo', isRepo, 'a Hugging Face repo id "owner/name"'),
    revision: field(at, json, 'revision', isRevision, 'a commit sha or branch name'),
    files: perNetwork((name) => (NETWORKS[name].required || name in files ? parseModelFile(files, name, `${at} files`) : undefined)),
    tokenizer: parseTokenizer(field(at, json, 'tokenizer', isObject, 'an object { repo, revision, vocab, merges }'), `${at} tokenizer`),
    scheduler: field(at, json, 'scheduler', isRepoPath, 'the path of scheduler_config.json in the repo'),
    requirements: parseRequirements(field(at, json, 'requirements', isObject, 'an object { backends, features }'), `${at} requirements`),
    note: optionalField(at, json, 'note', isString, 'a non-empty string'),
  };
}

function parseFile(json: unknown, at: string, keys: readonly string[]): CatalogFile {
  if (!isObject(json)) throw new ConfigError(at, '(file)', 'an object { path }');
  onlyKeys(at, json, keys);
  return {
    path: field(at, json, 'path', isRepoPath, 'a relative path in the repo'),
    approxBytes: optionalField(at, json, 'approxBytes', isCount, 'a whole number of bytes'),
  };
}

function parseModelFile(files: Json, component: NetworkName, at: string): CatalogModelFile {
  const here = `${at}.${component}`;
  const json = field(at, files, component, isObject, 'an object { path, approxBytes?, externalData? }');
  const external = optionalField(here, json, 'externalData', (v): v is unknown[] => Array.isArray(v) && v.length > 0, 'a non-empty list of { path }');
  return {
    ...parseFile(json, here, ['path', 'approxBytes', 'externalData']),
    externalData: external?.map((item, index) => parseFile(item, `${here}.externalData[${index}]`, ['path', 'approxBytes'])),
  };
}

function parseTokenizer(json: Json, at: string): CatalogTokenizer {
  onlyKeys(at, json, ['repo', 'revision', 'vocab', 'merges', 'config', 'specialTokensMap']);
  return {
    repo: field(at, json, 'repo', isRepo, 'a Hugging Face repo id "owner/name"'),
    revision: field(at, json, 'revision', isRevision, 'a commit sha or branch name'),
    vocab: field(at, json, 'vocab', isRepoPath, 'the path of vocab.json'),
    merges: field(at, json, 'merges', isRepoPath, 'the path of merges.txt'),
    config: optionalField(at, json, 'config', isRepoPath, 'the path of tokenizer_config.json'),
    specialTokensMap: optionalField(at, json, 'specialTokensMap', isRepoPath, 'the path of special_tokens_map.json'),
  };
}

function parseRequirements(json: Json, at: string): VariantRequirements {
  onlyKeys(at, json, ['backends', 'features', 'minMaxBufferSize', 'minStorageBufferBindingSize']);
  return {
    backends: field(at, json, 'backends', isBackends, 'a non-empty list of "webgpu", "wasm"'),
    features: field(at, json, 'features', isFeatures, 'a list of WebGPU feature names such as "shader-f16"'),
    minMaxBufferSize: optionalField(at, json, 'minMaxBufferSize', isCount, 'a whole number of bytes'),
    minStorageBufferBindingSize: optionalField(at, json, 'minStorageBufferBindingSize', isCount, 'a whole number of bytes'),
  };
}

/** Every file of a variant with the network it belongs to: each graph and its external data. */
export const variantParts = (variant: CatalogVariant): { network: NetworkName; file: CatalogFile }[] =>
  NETWORK_NAMES.flatMap((network) => {
    const graph = variant.files[network];
    return graph ? [graph, ...(graph.externalData ?? [])].map((file) => ({ network, file })) : [];
  });

/** A variant's files with their display sizes, under the network folder each belongs to. */
export const variantFiles = (variant: CatalogVariant): { path: string; bytes: number }[] =>
  variantParts(variant).map(({ network, file }) => ({ path: networkPath(network), bytes: file.approxBytes ?? 0 }));

/** The variant's download size as the catalog's display sizes add up; 0 when it gives none. */
export const approxVariantBytes = (variant: CatalogVariant): number => variantParts(variant).reduce((sum, { file }) => sum + (file.approxBytes ?? 0), 0);
