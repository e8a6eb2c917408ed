/**
 * What the Models view says about storage: the browser's refusals in words a
 * user can act on, and a storage line that quotes only figures the browser
 * honours (see `reportedRoom`). Pure: no DOM, no Svelte.
 */
import type { QuotaError, StorageLostError, StorageRefusedError } from '../shared/errors.ts';
import { reportedRoom } from '../shared/storage-estimate.ts';
import { formatBytes } from './transfer.ts';

export type StorageError = QuotaError | StorageRefusedError | StorageLostError;

const MAKE_ROOM = 'To make room, delete models you no longer use, allow this site persistent storage, or free disk space.';

export function storageMessage(error: StorageError): string {
  switch (error.code) {
    case 'quota':
      return `Not enough storage: this model needs ${formatBytes(error.neededBytes)} more and the browser allows ${formatBytes(error.availableBytes)}. ${MAKE_ROOM}`;
    case 'storage-refused':
      return (
        `The browser refused to store more after ${formatBytes(error.storedBytes)} of this model's ${formatBytes(error.modelBytes)}; ` +
        `${formatBytes(error.neededBytes)} are still to store. ${MAKE_ROOM} In a private or incognito window the browser keeps ` +
        'storage in memory and allows far less: use a normal window. ' +
        (error.kept ? 'Resume then goes on from what is stored.' : 'Nothing of the import was kept: import the folder again then.')
      );
    case 'storage-lost':
      return (
        `The browser lost ${error.file} right after storing it. A private or incognito window keeps storage in memory, ` +
        'with far less room than it reports: download models in a normal window. Otherwise free disk space and download again.'
      );
  }
}

/** The storage line: usage, and free space only where the browser's figure is its own. */
export function storageLine({ usage, quota }: { usage: number; quota: number }): string {
  const room = reportedRoom({ usage, quota });
  return room === undefined
    ? `Storage: ${formatBytes(usage)} used; the browser does not say how much more it will store`
    : `Storage: ${formatBytes(usage)} used of ${formatBytes(quota)} (${formatBytes(room)} free)`;
}
