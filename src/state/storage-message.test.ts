import { describe, expect, it } from 'vitest';
import { QuotaError, StorageLostError, StorageRefusedError } from '../shared/errors.ts';
import { storageLine, storageMessage } from './storage-message.ts';

const GiB = 2 ** 30;

describe('storageMessage', () => {
  it('refused before the download: the numbers the browser reported, and what to do', () =>
    expect(storageMessage(new QuotaError(160_000_000, 40_000_000))).toBe(
      'Not enough storage: this model needs 160 MB more and the browser allows 40.0 MB. To make room, delete models you no longer use, allow this site persistent storage, or free disk space.',
    ));

  it('refused mid-download: how far it got and what is missing, never the estimate it did not honour', () => {
    const message = storageMessage(new StorageRefusedError(1_200_000_000, 3_800_000_000, 5_000_000_000));
    expect(message).toBe(
      "The browser refused to store more after 1.20 GB of this model's 5.00 GB; 3.80 GB are still to store. To make room, delete models you no longer use, allow this site persistent storage, or free disk space. In a private or incognito window the browser keeps storage in memory and allows far less: use a normal window. Resume then goes on from what is stored.",
    );
    expect(message).not.toMatch(/available|10\.7/);
  });

  it('refused midway through a folder import: says nothing was kept and to import again', () =>
    expect(storageMessage(new StorageRefusedError(1_200_000_000, 3_800_000_000, 5_000_000_000, false))).toMatch(
      /^The browser refused to store more after 1\.20 GB of this model's 5\.00 GB; 3\.80 GB are still to store\. .* Nothing of the import was kept: import the folder again then\.$/,
    ));

  it('data lost after storing: names the file, the private window, and what to do', () =>
    expect(storageMessage(new StorageLostError('unet/model.onnx_data', 'The requested file could not be read'))).toBe(
      'The browser lost unet/model.onnx_data right after storing it. A private or incognito window keeps storage in memory, with far less room than it reports: download models in a normal window. Otherwise free disk space and download again.',
    ));
});

describe('storageLine', () => {
  it("quotes no free space under Chromium's fixed estimate (usage + 10 GiB)", () =>
    expect(storageLine({ usage: 319_000_000, quota: 319_000_000 + 10 * GiB })).toBe('Storage: 319 MB used; the browser does not say how much more it will store'));
  it('quotes a real quota', () => expect(storageLine({ usage: 319_000_000, quota: 2_000_000_000 })).toBe('Storage: 319 MB used of 2.00 GB (1.68 GB free)'));
});
