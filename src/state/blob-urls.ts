/** Object URLs for Blobs: one URL per Blob, made on first use and revoked once the Blob is no longer shown. */
export class BlobUrls {
  #urls = new Map<Blob, string>();

  /** The object URL of `blob`. */
  get(blob: Blob): string {
    let url = this.#urls.get(blob);
    if (!url) this.#urls.set(blob, (url = URL.createObjectURL(blob)));
    return url;
  }

  /** Revokes the URL of every Blob not in `live`. */
  retain(live: Iterable<Blob>): void {
    const keep = new Set(live);
    for (const [blob, url] of this.#urls) {
      if (keep.has(blob)) continue;
      URL.revokeObjectURL(url);
      this.#urls.delete(blob);
    }
  }
}
