/**
 * Saved records carry a schema version. Reading one migrates it from older
 * versions and checks it; a record that cannot be read is dropped alone, with a
 * reason, never the whole store. Pure: no IndexedDB, no Svelte.
 */
import { checkCheckpoint, type Checkpoint } from '../shared/checkpoint.ts';
import { IMAGE_INPUT_LIMITS, type ImageInput } from '../shared/image-input.ts';
import type { Job } from '../shared/job.ts';
import { DEFAULT_MEMORY, isSchedulerChoice, LIMITS, type GenerationSettings, type MemoryOptions } from '../shared/settings.ts';

/** v1: the first builds saved bare values; v2 wraps them as `{ schema, value }`. */
export const SCHEMA_VERSION = 2;

export interface Envelope<T> {
  schema: number;
  value: T;
}

export type ReadResult<T> = { ok: true; value: T; migratedFrom?: number } | { ok: false; reason: string };

/** A job waiting or running, with the newest checkpoint it reached. */
export interface QueuedJob extends Job {
  checkpoint?: Checkpoint;
  /** Why its last run failed; it waits in the queue for Retry or Remove. */
  error?: string;
}

/** A saved job, and why its checkpoint was dropped when it did not fit. */
export type JobReadResult = (ReadResult<QueuedJob> & { ok: true; checkpointDropped?: string }) | { ok: false; reason: string };

/** One generated image as the gallery keeps it. */
export interface GalleryItem {
  id: string;
  jobId: string;
  modelId: string;
  settings: GenerationSettings;
  seed: number;
  width: number;
  height: number;
  /** The PNG as generated, carrying its `parameters` text (images from before that carry none). */
  png: Blob;
  /** A small image for the grid, so the page never decodes every full-size PNG; older records lack it. */
  thumb?: Blob;
  createdAt: number;
}

export const wrap = <T>(value: T): Envelope<T> => ({ schema: SCHEMA_VERSION, value });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const TEXT_KEYS = ['prompt', 'negativePrompt'] as const;
const NUMBER_KEYS = ['seed', 'steps', 'width', 'height', 'guidance', 'batchCount'] as const;

/** A saved record's value, from whichever schema wrote it. */
export function unwrap(raw: unknown): ReadResult<unknown> {
  if (isObject(raw) && typeof raw.schema === 'number' && 'value' in raw) {
    if (raw.schema > SCHEMA_VERSION) return { ok: false, reason: `it was written by a newer Hearth (schema ${raw.schema})` };
    return { ok: true, value: raw.value, migratedFrom: raw.schema === SCHEMA_VERSION ? undefined : raw.schema };
  }
  return { ok: true, value: raw, migratedFrom: 1 };
}

/** Reads saved settings; fields missing from older versions take `defaults`. */
export function readSettings(raw: unknown, defaults: GenerationSettings): ReadResult<GenerationSettings> {
  const record = unwrap(raw);
  if (!record.ok) return record;
  const value = record.value;
  if (!isObject(value)) return { ok: false, reason: 'it is not a settings object' };
  const settings = { ...defaults };
  for (const key of TEXT_KEYS) {
    if (typeof value[key] === 'string') settings[key] = value[key];
    else if (value[key] !== undefined) return { ok: false, reason: `"${key}" is not text` };
  }
  for (const key of NUMBER_KEYS) {
    if (isFiniteNumber(value[key])) settings[key] = value[key];
    else if (value[key] !== undefined) return { ok: false, reason: `"${key}" is not a number` };
  }
  if (isSchedulerChoice(value.scheduler)) settings.scheduler = value.scheduler;
  return { ok: true, value: settings, migratedFrom: record.migratedFrom };
}

function isSettings(value: unknown): value is GenerationSettings {
  return (
    isObject(value) &&
    TEXT_KEYS.every((key) => typeof value[key] === 'string') &&
    NUMBER_KEYS.every((key) => isFiniteNumber(value[key])) &&
    isSchedulerChoice(value.scheduler)
  );
}

/** Reads the saved memory options; a field that does not fit falls back to its default alone. */
export function readMemoryOptions(raw: unknown): MemoryOptions {
  const record = unwrap(raw);
  const value = record.ok && isObject(record.value) ? record.value : {};
  const { min, max } = LIMITS.residentModels;
  const count = value.residentModels;
  return {
    lowMemory: typeof value.lowMemory === 'boolean' ? value.lowMemory : DEFAULT_MEMORY.lowMemory,
    residentModels: Number.isInteger(count) && (count as number) >= min && (count as number) <= max ? (count as number) : DEFAULT_MEMORY.residentModels,
  };
}

const isSize = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

/** A saved job's picture and mask: the right types and byte counts, the numbers in range. */
function isImageInput(value: unknown): value is ImageInput {
  if (!isObject(value) || !isObject(value.image)) return false;
  const { image, mask, strength, maskBlur } = value;
  const { width, height } = image;
  if (!isSize(width) || !isSize(height) || !(image.rgba instanceof Uint8ClampedArray) || image.rgba.length !== width * height * 4) return false;
  const maskFits = mask === undefined || (isObject(mask) && mask.width === width && mask.height === height && mask.data instanceof Uint8Array && mask.data.length === width * height);
  const { strength: strengths, maskBlur: blurs } = IMAGE_INPUT_LIMITS;
  const inRange = (number: unknown, range: { min: number; max: number }) => isFiniteNumber(number) && number >= range.min && number <= range.max;
  return maskFits && inRange(strength, strengths) && Number.isInteger(maskBlur) && inRange(maskBlur, blurs);
}

/** Reads one saved job; a checkpoint that does not fit the job or this build is dropped, the job kept. */
export function readJob(raw: unknown): JobReadResult {
  const record = unwrap(raw);
  if (!record.ok) return record;
  const job = record.value;
  if (!isObject(job) || typeof job.id !== 'string' || typeof job.modelId !== 'string' || !isSettings(job.settings)) {
    return { ok: false, reason: 'it is not a job' };
  }
  const queued: QueuedJob = { id: job.id, modelId: job.modelId, settings: job.settings, createdAt: isFiniteNumber(job.createdAt) ? job.createdAt : 0 };
  if (job.input !== undefined) {
    // Without its picture the job would be another job: it goes, with its reason.
    if (!isImageInput(job.input)) return { ok: false, reason: 'its input image or mask is damaged' };
    queued.input = job.input;
  }
  if (typeof job.error === 'string') queued.error = job.error;
  if (job.checkpoint === undefined) return { ok: true, value: queued, migratedFrom: record.migratedFrom };
  const check = checkCheckpoint(job.checkpoint, queued);
  if (!check.ok) return { ok: true, value: queued, migratedFrom: record.migratedFrom, checkpointDropped: check.reason };
  queued.checkpoint = check.checkpoint;
  return { ok: true, value: queued, migratedFrom: record.migratedFrom };
}

/** Reads one saved gallery image. */
export function readGalleryItem(raw: unknown): ReadResult<GalleryItem> {
  const record = unwrap(raw);
  if (!record.ok) return record;
  const item = record.value;
  if (!isObject(item) || typeof item.id !== 'string' || !(item.png instanceof Blob) || !isSettings(item.settings)) {
    return { ok: false, reason: 'it is not an image record' };
  }
  if (!isFiniteNumber(item.seed) || !isFiniteNumber(item.width) || !isFiniteNumber(item.height)) {
    return { ok: false, reason: 'its size or seed is missing' };
  }
  // A thumbnail is only a cache: a broken one is dropped and made again, the image kept.
  const { thumb, ...rest } = item;
  const value = (thumb instanceof Blob ? item : rest) as unknown as GalleryItem;
  return { ok: true, value, migratedFrom: record.migratedFrom };
}
