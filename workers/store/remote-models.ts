/**
 * Turns what the user names (a manifest URL, a Hugging Face repo, a catalog
 * entry) into a `RemoteModel`: a checked manifest with every file's exact size
 * and sha256, and the URL of each file. Sizes and hashes are never guessed:
 * they come from the manifest or from the Hub's LFS pointers, read before any
 * weight is downloaded, and the download is verified against them.
 */
import type { CatalogEntry, CatalogVariant } from '../../src/shared/catalog.ts';
import { ConfigError, DownloadError } from '../../src/shared/errors.ts';
import { isObject, parsePythonJson } from '../../src/shared/json-check.ts';
import { parseLfsPointer, type LfsPointer } from '../../src/shared/lfs-pointer.ts';
import { hfFileUrl, hfPointerUrl } from '../../src/shared/hub-urls.ts';
import { parseManifest, requireModelFiles } from '../../src/shared/manifest.ts';
import type { ModelFile, ModelManifest } from '../../src/shared/model.ts';
import { NETWORK_NAMES, NETWORKS, networkPath } from '../../src/shared/networks.ts';
import type { RemoteModel } from './downloader.ts';

type Fetch = typeof fetch;

/** Fetches a small file whole; failures become `DownloadError` naming `file`. */
export async function fetchSmall(url: string, file: string, fetchImpl: Fetch, what = ''): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetchImpl(url, { cache: 'no-store' }).catch((error: unknown) => {
    throw new DownloadError(file, `${what}${error instanceof Error ? error.message : String(error)}`);
  });
  if (!response.ok) throw new DownloadError(file, `${what}HTTP ${response.status}`, response.status);
  return new Uint8Array(await response.arrayBuffer());
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A Hub file's size and sha256 at a revision. `/raw/` answers the LFS pointer
 * of a weight file; a small file kept in git comes back as itself, and is hashed.
 */
export async function hubFileFacts(repo: string, revision: string, path: string, fetchImpl: Fetch = fetch): Promise<LfsPointer> {
  const bytes = await fetchSmall(hfPointerUrl(repo, revision, path), path, fetchImpl, 'its LFS pointer: ');
  // A pointer is about 130 bytes; anything much longer is the file itself.
  const pointer = bytes.length < 512 ? parseLfsPointer(new TextDecoder().decode(bytes)) : undefined;
  return pointer ?? { size: bytes.length, sha256: await sha256Hex(bytes) };
}

function withUrls(manifest: ModelManifest, url: (file: ModelFile) => string): RemoteModel {
  return { manifest, urls: Object.fromEntries(manifest.files.map((file) => [file.path, url(file)])) };
}

/** The model whose `hearth-model.json` is at `input`, or in the folder `input` names with a trailing `/`. */
export async function urlModel(input: string, fetchImpl: Fetch = fetch): Promise<RemoteModel> {
  let manifestUrl: URL;
  try {
    manifestUrl = new URL(input.endsWith('/') ? `${input}hearth-model.json` : input);
  } catch {
    throw new ConfigError(input, 'URL', 'an http(s) URL of a hearth-model.json');
  }
  const source = manifestUrl.href;
  const text = new TextDecoder().decode(await fetchSmall(source, 'hearth-model.json', fetchImpl));
  const manifest = parseManifest(parsePythonJson(text, source), source);
  requireModelFiles(manifest, source);
  return withUrls(manifest, (file) => new URL(file.path, manifestUrl).href);
}

/** A model in a Hub repo at a revision, from a manifest whose files may leave size and sha256 to the LFS pointers. */
export async function hubModel(repo: string, revision: string, manifestText: string, fetchImpl: Fetch = fetch): Promise<RemoteModel> {
  const source = `${repo}@${revision} hearth-model.json`;
  const text = manifestText.trim() || new TextDecoder().decode(await fetchSmall(hfFileUrl(repo, revision, 'hearth-model.json'), 'hearth-model.json', fetchImpl));
  const json = parsePythonJson(text, source);
  if (isObject(json) && Array.isArray(json.files)) {
    json.files = await Promise.all(
      json.files.map(async (file: unknown) =>
        isObject(file) && typeof file.path === 'string' && (file.size === undefined || file.sha256 === undefined)
          ? { ...(await hubFileFacts(repo, revision, file.path, fetchImpl)), ...file }
          : file,
      ),
    );
  }
  const manifest = parseManifest(json, source);
  requireModelFiles(manifest, source);
  return withUrls(manifest, (file) => hfFileUrl(repo, revision, file.path));
}

interface HubFile {
  /** Where Hearth stores it: diffusers' layout, which the engine reads. */
  path: string;
  repo: string;
  revision: string;
  repoPath: string;
  externalData?: true;
}

/** Every file of a catalog variant, from the repos it names to the paths the engine reads. */
function variantFiles(variant: CatalogVariant, at: string): HubFile[] {
  const { repo, revision, tokenizer } = variant;
  const files: HubFile[] = [];
  for (const network of NETWORK_NAMES) {
    const graph = variant.files[network];
    if (!graph) continue;
    const folder = graph.path.slice(0, graph.path.lastIndexOf('/') + 1);
    files.push({ path: networkPath(network), repo, revision, repoPath: graph.path });
    for (const data of graph.externalData ?? []) {
      // ORT looks external data up by its path relative to the graph's folder.
      if (!data.path.startsWith(folder)) throw new ConfigError(`${at} ${network}`, 'externalData', `paths inside ${folder || 'the repo root'}`);
      files.push({ path: `${NETWORKS[network].folder}/${data.path.slice(folder.length)}`, repo, revision, repoPath: data.path, externalData: true });
    }
  }
  const fromTokenizer = (path: string, repoPath: string | undefined) =>
    repoPath ? [{ path, repo: tokenizer.repo, revision: tokenizer.revision, repoPath }] : [];
  files.push(
    ...fromTokenizer('tokenizer/vocab.json', tokenizer.vocab),
    ...fromTokenizer('tokenizer/merges.txt', tokenizer.merges),
    ...fromTokenizer('tokenizer/tokenizer_config.json', tokenizer.config),
    ...fromTokenizer('tokenizer/special_tokens_map.json', tokenizer.specialTokensMap),
    { path: 'scheduler/scheduler_config.json', repo, revision, repoPath: variant.scheduler },
  );
  return files;
}

/** A catalog variant with exact sizes and hashes from its LFS pointers; its id is the catalog entry's. */
export async function catalogModel(entry: CatalogEntry, variantId: string, fetchImpl: Fetch = fetch): Promise<RemoteModel> {
  const variant = entry.variants.find((candidate) => candidate.id === variantId);
  if (!variant) throw new ConfigError(`catalog model "${entry.id}"`, 'variant', entry.variants.map((v) => v.id).join(', '));
  const files = variantFiles(variant, `catalog model "${entry.id}" variant "${variant.id}"`);
  const facts = await Promise.all(files.map((file) => hubFileFacts(file.repo, file.revision, file.repoPath, fetchImpl)));
  const manifest: ModelManifest = {
    id: entry.id,
    name: entry.name,
    description: entry.description,
    precision: variant.precision,
    files: files.map((file, index) => ({ path: file.path, ...facts[index], ...(file.externalData ? { externalData: true as const } : {}) })),
    vaeScalingFactor: entry.vaeScalingFactor,
    defaults: entry.defaults,
    sizes: entry.sizes,
    ...(entry.unetInChannels === undefined ? {} : { unetInChannels: entry.unetInChannels }),
  };
  const urls = Object.fromEntries(files.map((file) => [file.path, hfFileUrl(file.repo, file.revision, file.repoPath)]));
  return { manifest, urls };
}
