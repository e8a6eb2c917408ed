/**
 * Pours a stream into a file's writer. A BYOB reader reads straight into the
 * chunk being filled, so no byte gets a buffer of its own: fresh buffers cost
 * the store worker more CPU than hashing (docs/storage.md, "Reading the body
 * into the chunk"). A stream without one (a browser whose fetch bodies are not
 * byte streams) is read as it comes and copied in.
 */
import type { FileWriter } from './model-store.ts';

export interface WriteStreamOptions {
  /** Called after each read the writer took. */
  onRead?: () => void;
  /** What a failed read becomes; the writer's own failures pass as they are. */
  readError?: (error: unknown) => unknown;
}

/** Reads `body` to its end into `writer`; on failure the body is cancelled. */
export async function writeStream(
  writer: FileWriter,
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  { onRead, readError = (error) => error }: WriteStreamOptions = {},
): Promise<void> {
  const byob = byobReader(body);
  const plain = byob ? undefined : body.getReader();
  const next = async (): Promise<boolean> => {
    const { done, value } = await (byob ? byob.read(writer.space()) : plain!.read()).catch((error: unknown) => {
      throw readError(error);
    });
    // A BYOB read ends with an empty view of the buffer it took: the writer needs it back.
    if (value) await (byob ? writer.wrote(value) : writer.write(value));
    return !done;
  };
  try {
    while (await next()) onRead?.();
  } catch (error) {
    // The body may already have failed; cancelling it then rejects as well.
    await (byob ?? plain!).cancel().catch(() => undefined);
    throw error;
  }
}

function byobReader(body: ReadableStream<Uint8Array<ArrayBuffer>>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: 'byob' });
  } catch {
    return undefined;
  }
}
