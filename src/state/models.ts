import { parseManifest } from '../shared/manifest.ts';
import type { ModelSource } from '../shared/protocol.ts';

/** The test model shipped with the app: tiny, offline, abstract images only. */
export async function builtInModel(): Promise<ModelSource> {
  const baseUrl = new URL('models/tiny/', document.baseURI).href;
  const response = await fetch(new URL('hearth-model.json', baseUrl));
  if (!response.ok) throw new Error(`The built-in model's manifest is missing (HTTP ${response.status}).`);
  return { baseUrl, manifest: parseManifest(await response.json()) };
}
