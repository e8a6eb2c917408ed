import { ModelFileError } from '../src/shared/errors.ts';
import type { ModelSource } from '../src/shared/protocol.ts';

/** Fetches one file of a model from its folder URL. */
export async function fetchModelFile(source: ModelSource, path: string): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch(new URL(path, source.baseUrl));
  } catch (error) {
    throw new ModelFileError(path, `could not be fetched (${(error as Error).message})`);
  }
  if (!response.ok) throw new ModelFileError(path, `could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Fetches a text file of a model, or `undefined` when the model has none. */
export async function fetchOptionalText(source: ModelSource, path: string): Promise<string | undefined> {
  const response = await fetch(new URL(path, source.baseUrl)).catch(() => undefined);
  return response?.ok ? response.text() : undefined;
}

export async function fetchText(source: ModelSource, path: string): Promise<string> {
  return new TextDecoder().decode(await fetchModelFile(source, path));
}
