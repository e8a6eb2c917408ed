/**
 * Every error Hearth shows a user is a named subclass of `HearthError` with a
 * `readonly code` literal and the facts the user needs. They cross the worker
 * boundary intact (see `serializeError`/`restoreError`), so the UI branches on
 * `code`, never on message text.
 *
 * A new class joins `ERROR_CLASSES` at the end of this file under its code:
 * `code` must be one of that registry's keys, so a class left out does not
 * compile (it would otherwise arrive on the other side of a worker as nothing
 * `restoreError` knows).
 */
export abstract class HearthError extends Error {
  abstract readonly code: HearthErrorCode;
}

/** A config file or catalog entry has a missing, unknown or out-of-range field. */
export class ConfigError extends HearthError {
  readonly code = 'config';
  constructor(
    readonly source: string,
    readonly field: string,
    readonly allowed: string,
  ) {
    super(`${source}: "${field}" is invalid; allowed: ${allowed}`);
  }
}

/** A form setting is out of range; the form shows `message` beside `field`. */
export class InvalidSettingError extends HearthError {
  readonly code = 'invalid-setting';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A tokenizer file (`vocab.json`, `merges.txt`, ...) does not parse. */
export class TokenizerFileError extends HearthError {
  readonly code = 'tokenizer-file';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`Tokenizer file ${file} is unusable: ${reason}`);
  }
}

/** A model file is not ONNX, or lacks an input/output the pipeline needs. */
export class ModelFileError extends HearthError {
  readonly code = 'model-file';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`Model file ${file}: ${reason}`);
  }
}

/** A stored model file is there but its bytes could not be read back into memory. */
export class StoredFileReadError extends HearthError {
  readonly code = 'stored-file-read';
  constructor(
    readonly file: string,
    readonly bytes: number,
    readonly reason: string,
  ) {
    super(`Could not read the stored model file ${file} (${(bytes / 1e9).toFixed(2)} GB) into memory: ${reason}`);
  }
}

/** A model needs something this device cannot give (a feature, a limit, a backend). */
export class UnsupportedModelError extends HearthError {
  readonly code = 'unsupported-model';
  constructor(
    readonly model: string,
    readonly reason: string,
  ) {
    super(`${model} cannot run here: ${reason}`);
  }
}

/** The GPU device was lost (driver reset, GPU-process crash, `destroy()`). */
export class DeviceLostError extends HearthError {
  readonly code = 'device-lost';
  constructor(readonly reason: string) {
    super(`The GPU device was lost: ${reason}`);
  }
}

/** The user cancelled the job. Not a failure: the UI shows no error for it. */
export class CancelledError extends HearthError {
  readonly code = 'cancelled';
  constructor() {
    super('Cancelled');
  }
}

/** A PNG's bytes are not a PNG, or its chunks or its `parameters` text are broken. */
export class PngParametersError extends HearthError {
  readonly code = 'png-parameters';
  constructor(readonly reason: string) {
    super(`PNG parameters unusable: ${reason}`);
  }
}

/** A model file could not be fetched: the network failed or the server said no. */
export class DownloadError extends HearthError {
  readonly code = 'download';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly status?: number,
  ) {
    super(`Could not download ${file}: ${reason}`);
  }
}

/** A model file's bytes are not the ones its manifest names; they were deleted. */
export class IntegrityError extends HearthError {
  readonly code = 'integrity';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file} is corrupt: expected ${expected}, got ${actual}`);
  }
}

/** The browser's storage quota leaves too little room for a model. */
export class QuotaError extends HearthError {
  readonly code = 'quota';
  constructor(
    readonly neededBytes: number,
    readonly availableBytes: number,
  ) {
    super(`Not enough storage: ${mib(neededBytes)} needed, ${mib(availableBytes)} available`);
  }
}

/**
 * The browser refused to store more of a model although its estimate showed
 * room: Chromium reports a fixed estimate that it does not enforce
 * (docs/storage.md). A download's stored part stays for a Resume; a folder
 * import removes what it stored (`kept` false).
 */
export class StorageRefusedError extends HearthError {
  readonly code = 'storage-refused';
  constructor(
    readonly storedBytes: number,
    readonly neededBytes: number,
    readonly modelBytes: number,
    readonly kept = true,
  ) {
    super(`The browser refused to store more after ${mib(storedBytes)} of the model's ${mib(modelBytes)} (${mib(neededBytes)} still needed)${kept ? '' : '; nothing of it was kept'}`);
  }
}

/**
 * Bytes the browser had accepted cannot be read back (`NotReadableError`):
 * storage that lives in memory, as in a private window, overflowed, or the
 * disk failed (docs/storage.md).
 */
export class StorageLostError extends HearthError {
  readonly code = 'storage-lost';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file} was stored but cannot be read back (${detail})`);
  }
}

function mib(bytes: number): string {
  return `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

/** A catalog model's licence must be accepted before its first download. */
export class LicenceNotAcceptedError extends HearthError {
  readonly code = 'licence-not-accepted';
  constructor(
    readonly model: string,
    readonly licence: string,
  ) {
    super(`Accept the ${licence} licence of ${model} before downloading it.`);
  }
}

/** A model is already downloading; a second download of it would write the same chunks. */
export class DownloadBusyError extends HearthError {
  readonly code = 'download-busy';
  constructor(readonly model: string) {
    super(`${model} is already downloading: one download of a model at a time.`);
  }
}

/**
 * onnxruntime-web could not start any backend, so no model can load: most
 * often the host serves its files wrongly. `fix` says what the host must do.
 */
export class RuntimeStartError extends HearthError {
  readonly code = 'runtime-start';
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`The ONNX runtime could not start: ${reason}. ${fix}`);
  }
}

/** The engine died again and again in a row; the UI offers a retry and keeps the job. */
export class EngineFailedError extends HearthError {
  readonly code = 'engine-failed';
  constructor(
    readonly reason: string,
    readonly attempts: number,
    readonly during: 'job' | 'load' = 'job',
  ) {
    super(`The engine failed ${attempts} times in a row (${reason}). ${during === 'job' ? 'The job is kept in the queue.' : 'Choose the model again to retry.'}`);
  }
}

/**
 * The model-store worker crashed or stopped answering during a call. It is
 * restarted; a download goes on by itself from its stored chunks, any other
 * call is for the user to try again.
 */
export class StoreDiedError extends HearthError {
  readonly code = 'store-died';
  constructor(readonly reason: string) {
    super(`The model store stopped (${reason}) and was restarted. Try again.`);
  }
}

/**
 * The GPU could not allocate a buffer. What ORT computed after that cannot be
 * trusted, so the load or job stops; the job stays queued for a retry.
 */
export class GpuMemoryError extends HearthError {
  readonly code = 'gpu-memory';
  constructor(
    readonly during: string,
    readonly lowMemory: boolean,
  ) {
    super(
      `The GPU ran out of memory ${during}. ${
        lowMemory
          ? 'Even low-memory mode does not fit: try a smaller image or the CPU (wasm) backend.'
          : 'Turn on low-memory mode or keep fewer models loaded, then retry.'
      }`,
    );
  }
}

/** A saved checkpoint does not fit the job or this build (older build, damaged record); the job restarts from step 0. */
export class CheckpointError extends HearthError {
  readonly code = 'checkpoint';
  constructor(readonly reason: string) {
    super(`The saved progress could not be used: ${reason}.`);
  }
}

/**
 * Every named error class under its code: where `HearthErrorCode` comes from
 * and what `restoreError` rebuilds. `errors.type-test.ts` checks that
 * each class is filed under its own code.
 */
const ERROR_CLASSES = {
  config: ConfigError,
  'invalid-setting': InvalidSettingError,
  'tokenizer-file': TokenizerFileError,
  'model-file': ModelFileError,
  'stored-file-read': StoredFileReadError,
  'runtime-start': RuntimeStartError,
  'unsupported-model': UnsupportedModelError,
  'device-lost': DeviceLostError,
  'engine-failed': EngineFailedError,
  'store-died': StoreDiedError,
  'gpu-memory': GpuMemoryError,
  checkpoint: CheckpointError,
  download: DownloadError,
  'download-busy': DownloadBusyError,
  'licence-not-accepted': LicenceNotAcceptedError,
  integrity: IntegrityError,
  quota: QuotaError,
  'storage-refused': StorageRefusedError,
  'storage-lost': StorageLostError,
  'png-parameters': PngParametersError,
  cancelled: CancelledError,
};

export type HearthErrorCode = keyof typeof ERROR_CLASSES;

/** The class of each code, for code that branches on `code` and needs the fields. */
export type HearthErrorOf<Code extends HearthErrorCode> = InstanceType<(typeof ERROR_CLASSES)[Code]>;

/** The structured-cloneable form of an error, as it crosses a worker boundary. */
export interface SerializedError {
  code: HearthErrorCode | 'unknown';
  name: string;
  message: string;
  /** The stack where it was thrown, in the other thread; restored so a report shows where. */
  stack?: string;
  fields: Record<string, unknown>;
}

export function serializeError(error: unknown): SerializedError {
  const plain = error instanceof Error ? error : new Error(String(error));
  const { name, message, stack } = plain;
  if (!(error instanceof HearthError)) return { code: 'unknown', name, message, stack, fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (key !== 'code') fields[key] = value;
  return { code: error.code, name, message, stack, fields };
}

const isKnownCode = (code: string): code is HearthErrorCode => Object.hasOwn(ERROR_CLASSES, code);

/**
 * Rebuilds the original subclass, so `instanceof` and every field work again.
 * A code this build does not know (a worker from another build, just after an
 * update) becomes a plain Error with the same message, never a failure of its own.
 */
export function restoreError(data: SerializedError): Error {
  const known = isKnownCode(data.code) ? ERROR_CLASSES[data.code] : undefined;
  const error: Error = known ? Object.create(known.prototype) : new Error();
  Object.defineProperties(error, {
    message: { value: data.message, writable: true, configurable: true },
    stack: { value: data.stack ?? `${data.name}: ${data.message}`, writable: true, configurable: true },
  });
  if (!known) {
    error.name = data.name;
    return error;
  }
  return Object.assign(error, data.fields, { code: data.code });
}
