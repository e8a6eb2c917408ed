import type { GeneratedImage, Job } from '../shared/protocol.ts';
import { clearImageRecords, deleteImageRecord, loadImageRecords, saveImageRecord } from './persist.ts';
import { readGalleryItem, type GalleryItem } from './records.ts';

/** Generated images, newest first. Images stay Blobs in IndexedDB; the page holds object URLs, not pixels. */
class GalleryState {
  items = $state.raw<GalleryItem[]>([]);

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
    if (dropped.length === 0) return undefined;
    return `${dropped.length} saved image record${dropped.length > 1 ? 's' : ''} could not be read and ${dropped.length > 1 ? 'were' : 'was'} removed (${dropped[0]}).`;
  }

  async add(job: Job, image: GeneratedImage): Promise<void> {
    const item: GalleryItem = {
      id: `${job.id}-${image.imageIndex}`,
      jobId: job.id,
      modelId: job.modelId,
      settings: { ...job.settings, seed: image.seed },
      seed: image.seed,
      width: image.width,
      height: image.height,
      png: image.png,
      createdAt: Date.now(),
    };
    await saveImageRecord(item.id, item);
    this.items = [item, ...this.items.filter((existing) => existing.id !== item.id)];
  }

  async remove(id: string): Promise<void> {
    await deleteImageRecord(id);
    this.items = this.items.filter((item) => item.id !== id);
  }

  async clear(): Promise<void> {
    await clearImageRecords();
    this.items = [];
  }
}

export const gallery = new GalleryState();
