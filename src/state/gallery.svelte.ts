import type { GeneratedImage, Job } from '../shared/job.ts';
import { reusableSettings } from './gallery-item.ts';
import { clearImageRecords, deleteImageRecord, loadImageRecords, saveImageRecord } from './persist.ts';
import { readGalleryItem, type GalleryItem } from './records.ts';
import { settings } from './settings.svelte.ts';
import { makeThumbnail } from '../shared/thumbnail.ts';

// A missing thumbnail costs only memory (the grid shows the PNG instead), never the image.
// The worker sends one with each image; this decodes the PNG again only for images saved without.
const thumbnailOf = (png: Blob, width: number, height: number): Promise<Blob | undefined> =>
  makeThumbnail(png, width, height).catch(() => undefined);

/** Generated images, newest first. Images stay Blobs in IndexedDB; the page holds object URLs, not pixels. */
class GalleryState {
  items = $state.raw<GalleryItem[]>([]);
  /** Adds in flight, chained so images land in the order they were made. */
  #adding: Promise<unknown> = Promise.resolve();

  /** Loads saved images; unreadable records are removed, and the message says how many. */
  async restore(): Promise<string | undefined> {
    const records = await loadImageRecords();
    const items: GalleryItem[] = [];
    const dropped: string[] = [];
    for (const [key, raw] of records) {
      const result = readGalleryItem(raw);
      if (result.ok) items.push(result.value);
      else {
        dropped.push(result.reason);
        await deleteImageRecord(key);
      }
    }
    this.items = items.sort((a, b) => b.createdAt - a.createdAt);
    void this.#addMissingThumbnails();
    if (dropped.length === 0) return undefined;
    return `${dropped.length} saved image record${dropped.length > 1 ? 's' : ''} could not be read and ${dropped.length > 1 ? 'were' : 'was'} removed (${dropped[0]}).`;
  }

  /** Saves a generated image with its thumbnail and shows it first. */
  add(job: Job, image: GeneratedImage): Promise<void> {
    const added = this.#adding.then(() => this.#add(job, image));
    this.#adding = added.catch(() => undefined);
    return added;
  }

  async remove(id: string): Promise<void> {
    await deleteImageRecord(id);
    this.items = this.items.filter((item) => item.id !== id);
  }

  async clear(): Promise<void> {
    await clearImageRecords();
    this.items = [];
  }

  /** Puts an image's settings back into the form. */
  reuse(item: GalleryItem): void {
    settings.apply(reusableSettings(item));
  }

  async #add(job: Job, image: GeneratedImage): Promise<void> {
    const item: GalleryItem = {
      id: `${job.id}-${image.imageIndex}`,
      jobId: job.id,
      modelId: job.modelId,
      settings: { ...job.settings, seed: image.seed },
      seed: image.seed,
      width: image.width,
      height: image.height,
      png: image.png,
      thumb: image.thumb ?? (await thumbnailOf(image.png, image.width, image.height)),
      createdAt: Date.now(),
    };
    await saveImageRecord(item.id, item);
    this.items = [item, ...this.items.filter((existing) => existing.id !== item.id)];
  }

  /** Records saved before thumbnails (or whose thumbnail broke) get one, one image at a time. */
  async #addMissingThumbnails(): Promise<void> {
    for (const item of this.items.filter((each) => !each.thumb)) {
      const thumb = await thumbnailOf(item.png, item.width, item.height);
      // Saving an image deleted meanwhile would bring it back.
      if (!thumb || !this.items.includes(item)) continue;
      const updated = { ...item, thumb };
      await saveImageRecord(item.id, updated);
      this.items = this.items.map((each) => (each === item ? updated : each));
    }
  }
}

export const gallery = new GalleryState();
