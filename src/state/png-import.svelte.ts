import { inputImage } from './input-image.svelte.ts';
import { importPngSettings } from './png-import.ts';
import { settings } from './settings.svelte.ts';
import { studio } from './studio.svelte.ts';

/** Restores settings from PNGs that are dropped on the page or opened; the message says what happened. */
class PngImportState {
  message = $state.raw<{ ok: boolean; text: string } | undefined>();

  /** Applies the settings `file` carries, fitted to the loaded model; changes nothing when it carries none. */
  async open(file: Blob): Promise<void> {
    const manifest = studio.model?.manifest;
    const result = await importPngSettings(file, manifest?.sizes, manifest?.id);
    if (result.ok) {
      settings.apply(result.settings);
      inputImage.applyParameters(result.input);
    }
    this.message = { ok: result.ok, text: result.message };
  }
}

export const pngImport = new PngImportState();
