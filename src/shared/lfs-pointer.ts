/**
 * Git LFS pointer files. Hugging Face's `/raw/<revision>/<path>` answers a
 * pointer for every LFS- or Xet-stored file, so the app learns a weight file's
 * sha256 and size from a ~130-byte request before downloading gigabytes.
 * Format: https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md
 */

/** What a pointer says about the real file. */
export interface LfsPointer {
  sha256: string;
  size: number;
}

// The spec's three v1 keys, in its order, each line ending in a Unix newline.
// Extension keys (`ext-0-...`) are refused: they mean the stored bytes are
// transformed, so the oid would not be the hash of the file we download.
const POINTER = /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:([0-9a-f]{64})\nsize (0|[1-9][0-9]*)\n$/;

/** Parses a v1 pointer; `undefined` when `text` is anything else (e.g. a small file served as is). */
export function parseLfsPointer(text: string): LfsPointer | undefined {
  const match = POINTER.exec(text);
  if (!match) return undefined;
  const size = Number(match[2]);
  return Number.isSafeInteger(size) ? { sha256: match[1], size } : undefined;
}
