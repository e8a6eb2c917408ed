/**
 * Grid thumbnails, made once per image, so the gallery shows small images and
 * never decodes every full-size PNG at once (InvokeAI's tab crashed after bulk
 * generations: https://github.com/invoke-ai/InvokeAI/issues/5415). The worker
 * makes them from the pixels it already has; the page only for images saved
 * before it did.
 */

/** Longest side of a thumbnail in pixels: a grid cell is about 180 CSS px wide. */
export const THUMB_SIZE = 256;

/** `width`×`height` scaled to fit `max`, never enlarged, at least 1 px each way. */
export function thumbnailSize(width: number, height: number, max = THUMB_SIZE): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A small WebP of a `width`×`height` image: PNG bytes or pixels (browsers that cannot encode WebP give PNG). */
export async function makeThumbnail(image: Blob | ImageData, width: number, height: number): Promise<Blob> {
  const size = thumbnailSize(width, height);
  // Resizing while decoding leaves only a thumbnail-sized bitmap alive.
  const bitmap = await createImageBitmap(image, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
  try {
    const canvas = new OffscreenCanvas(size.width, size.height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('OffscreenCanvas 2d context is unavailable');
    context.drawImage(bitmap, 0, 0);
    return await canvas.convertToBlob({ type: 'image/webp', quality: 0.85 });
  } finally {
    bitmap.close();
  }
}
