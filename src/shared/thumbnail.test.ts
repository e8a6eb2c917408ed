import { describe, expect, it } from 'vitest';
import { thumbnailSize } from './thumbnail.ts';

describe('thumbnailSize', () => {
  it('scales the longer side down to the limit, keeping the aspect ratio', () => {
    expect(thumbnailSize(512, 512)).toEqual({ width: 256, height: 256 });
    expect(thumbnailSize(1024, 512)).toEqual({ width: 256, height: 128 });
    expect(thumbnailSize(512, 768, 128)).toEqual({ width: 85, height: 128 });
  });

  it('never enlarges a small image and never reaches zero', () => {
    expect(thumbnailSize(128, 64)).toEqual({ width: 128, height: 64 });
    expect(thumbnailSize(4096, 1)).toEqual({ width: 256, height: 1 });
  });
});
