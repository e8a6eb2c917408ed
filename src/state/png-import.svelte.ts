import { inputImage } from './input-image.svelte.ts';
import { importPngSettings } from './png-import.ts';
import { settings } from './settings.svelte.ts';
import { studio } from './studio.svelte.ts';

/** Restores settings from PNGs that are dropped on the page or opened; the message says what happened. */
class PngImportState {
  message = $state.raw<{ ok: boolean; text: string } | undefined>();
  /** A picture that carried no settings, offered as the input image. */
  picture = $state.raw<File | undefined>();

  /** Applies the settings `file` carries, fitted to the loaded model; changes nothing when it carries none. */
  async open(file: File): Promise<void> {
    const manifest = studio.model?.manifest;
    const result = await importPngSettings(file, manifest?.sizes, manifest?.id);
    if (result.ok) {
      settings.apply(result.settings);
      inputImage.applyParameters(result.input);
    }
    this.picture = !result.ok && result.picture ? file : undefined;
    this.message = { ok: result.ok, text: result.message };
  }

  /** Makes the offered picture the input image. */
  async useAsInput(): Promise<void> {
    const file = this.picture;
    if (!file) return;
    this.picture = undefined;
    this.message = undefined;
    await inputImage.setPicture(file, file.name, settings.form.width, settings.form.height);
  }
}

export const pngImport = new PngImportState();
