import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlobUrls } from './blob-urls.ts';

describe('BlobUrls', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes one URL per Blob and revokes those no longer live', () => {
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    const urls = new BlobUrls();
    const [a, b] = [new Blob(['a']), new Blob(['b'])];
    const first = urls.get(a);
    expect(urls.get(a)).toBe(first);
    const second = urls.get(b);
    expect(second).not.toBe(first);

    urls.retain([b]);
    expect(revoke.mock.calls).toEqual([[first]]);
    expect(urls.get(b)).toBe(second);
    expect(urls.get(a)).not.toBe(first);
  });
});
