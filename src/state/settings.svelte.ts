import type { BackendChoice } from '../shared/backend.ts';
import { DEFAULT_MEMORY, DEFAULT_PREVIEW_EVERY, DEFAULT_SETTINGS, isPreviewEvery, randomSeed, type GenerationSettings, type MemoryOptions, type PreviewEvery } from '../shared/settings.ts';
import { loadSetting, saveSetting } from './persist.ts';
import { readMemoryOptions, readSettings } from './records.ts';

const SETTINGS_KEY = 'settings';
const BACKEND_KEY = 'backend';
const MEMORY_KEY = 'memory';
const PREVIEWS_KEY = 'previews';

/** The form's values, the backend choice, the memory options and the preview setting, saved on every edit. */
class SettingsState {
  form = $state<GenerationSettings>({ ...DEFAULT_SETTINGS });
  backend = $state<BackendChoice>('auto');
  memory = $state.raw<MemoryOptions>(DEFAULT_MEMORY);
  previewEvery = $state.raw<PreviewEvery>(DEFAULT_PREVIEW_EVERY);

  /** Restores saved values; returns a message when a saved record had to be dropped. */
  async restore(defaults: Partial<GenerationSettings>): Promise<string | undefined> {
    const base = { ...DEFAULT_SETTINGS, ...defaults };
    const [raw, backend, memory, previews] = await Promise.all([loadSetting(SETTINGS_KEY), loadSetting(BACKEND_KEY), loadSetting(MEMORY_KEY), loadSetting(PREVIEWS_KEY)]);
    this.memory = readMemoryOptions(memory);
    if (previews && typeof previews === 'object' && 'value' in previews && isPreviewEvery(previews.value)) this.previewEvery = previews.value;
    if (backend && typeof backend === 'object' && 'value' in backend && ['auto', 'webgpu', 'wasm'].includes(String(backend.value))) {
      this.backend = backend.value as BackendChoice;
    }
    if (raw === undefined) {
      this.form = base;
      return undefined;
    }
    const result = readSettings(raw, base);
    this.form = result.ok ? result.value : base;
    if (!result.ok) return `Saved settings could not be read (${result.reason}); defaults are used.`;
    if (result.migratedFrom) this.save();
    return undefined;
  }

  save(): void {
    void saveSetting(SETTINGS_KEY, $state.snapshot(this.form));
  }

  setBackend(choice: BackendChoice): void {
    this.backend = choice;
    void saveSetting(BACKEND_KEY, choice);
  }

  setMemory(values: Partial<MemoryOptions>): void {
    this.memory = { ...this.memory, ...values };
    void saveSetting(MEMORY_KEY, this.memory);
  }

  /** Applies from the next job on. */
  setPreviewEvery(every: PreviewEvery): void {
    this.previewEvery = every;
    void saveSetting(PREVIEWS_KEY, every);
  }

  randomizeSeed(): void {
    this.form.seed = randomSeed();
    this.save();
  }

  /** Applies values (from a PNG's parameters, "reuse settings"...) and saves. */
  apply(values: Partial<GenerationSettings>): void {
    this.form = { ...this.form, ...values };
    this.save();
  }
}

export const settings = new SettingsState();
