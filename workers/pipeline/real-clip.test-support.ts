/**
 * The real CLIP tokenizer files for unit tests. They live beside the repo
 * (../shared from the project root), never inside it: tests that need them
 * skip with a message where they are missing, and fail on CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

export const CLIP_DIR = fileURLToPath(new URL('../../../shared/data/clip-tokenizer/', import.meta.url));
export const HAVE_CLIP = existsSync(join(CLIP_DIR, 'vocab.json')) && existsSync(join(CLIP_DIR, 'merges.txt'));
const ON_CI = !!process.env.CI && process.env.CI !== 'false';
const MISSING = `CLIP tokenizer files not found at ${CLIP_DIR} (vocab.json, merges.txt)`;

/** Call at the top of a test file whose real-CLIP suite is `describe.skipIf(!HAVE_CLIP)`. */
export function requireRealClip(suite: string): void {
  if (HAVE_CLIP) return;
  if (ON_CI) {
    it('has the real CLIP tokenizer files (required on CI)', () => {
      expect.fail(`${MISSING}; CI must provide them`);
    });
  } else {
    console.warn(`Skipping the ${suite}: ${MISSING}`);
  }
}

/** vocab.json and merges.txt as text. */
export function readRealClip(): { vocab: string; merges: string } {
  return { vocab: readFileSync(join(CLIP_DIR, 'vocab.json'), 'utf8'), merges: readFileSync(join(CLIP_DIR, 'merges.txt'), 'utf8') };
}
