import { transferHandlers, type TransferHandler } from 'comlink';
import { restoreError, serializeError, type SerializedError } from './errors.ts';

/**
 * Comlink's own `throw` handler keeps only `{name, message, stack}`, so a
 * `ModelFileError` would arrive as a plain Error without its `code` and fields.
 * Both sides install this before the first call.
 */
export function installErrorTransfer(): void {
  const builtIn = transferHandlers.get('throw');
  if (!builtIn) throw new Error('comlink has no "throw" transfer handler to replace');
  const handler: TransferHandler<{ value: unknown }, SerializedError> = {
    canHandle: (value): value is { value: unknown } => builtIn.canHandle(value),
    serialize: ({ value }) => [serializeError(value), []],
    deserialize: (data) => {
      throw restoreError(data);
    },
  };
  transferHandlers.set('throw', handler);
}
