/** Where a file of a Hugging Face repo is served, at a revision. */

const HUB = 'https://huggingface.co';
const hubUrl = (kind: 'resolve' | 'raw', repo: string, revision: string, path: string): string =>
  `${HUB}/${repo}/${kind}/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;

/** The download URL of a file in a Hugging Face repo at a revision. */
export const hfFileUrl = (repo: string, revision: string, path: string): string => hubUrl('resolve', repo, revision, path);

/** The URL that serves a file's Git LFS pointer (its sha256 and size) instead of its bytes; see `parseLfsPointer`. */
export const hfPointerUrl = (repo: string, revision: string, path: string): string => hubUrl('raw', repo, revision, path);
