import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../src/shared/catalog.ts';
import { catalogModel, hubFileFacts, hubModel } from './remote-models.ts';

const catalog = parseCatalog(JSON.parse(readFileSync('public/catalog.json', 'utf8')));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const pointer = (size: number, oid: string) => `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;

/** A fake Hub: `/raw/` answers an LFS pointer for `.onnx`/`_data` files and the bytes of any other file. */
function hub() {
  const requests: string[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(String(input));
    requests.push(url.pathname);
    if (!url.pathname.includes('/raw/')) return new Response('not found', { status: 404 });
    const path = decodeURIComponent(url.pathname.split('/').slice(5).join('/'));
    if (path.endsWith('.onnx') || path.endsWith('_data') || path.endsWith('.pb')) return new Response(pointer(path.length * 1000, sha(path)));
    return new Response(`contents of ${path}`);
  };
  return { fetch, requests };
}

describe('hubFileFacts', () => {
  it('reads size and sha256 from an LFS pointer, and hashes a small file kept in git', async () => {
    const { fetch } = hub();
    expect(await hubFileFacts('o/r', 'abc', 'unet/model.onnx', fetch)).toEqual({ size: 15000, sha256: sha('unet/model.onnx') });
    expect(await hubFileFacts('o/r', 'abc', 'tokenizer/vocab.json', fetch)).toEqual({ size: 32, sha256: sha('contents of tokenizer/vocab.json') });
  });

  it('names the file when the Hub says no', async () => {
    const fetch = (async () => new Response('', { status: 401 })) as typeof globalThis.fetch;
    await expect(hubFileFacts('o/r', 'main', 'unet/model.onnx', fetch)).rejects.toMatchObject({ code: 'download', file: 'unet/model.onnx', status: 401 });
  });
});

describe('catalogModel', () => {
  it('lays a catalog variant out as the engine reads it, with sizes and hashes from the Hub', async () => {
    const { fetch, requests } = hub();
    const entry = catalog.models.find((model) => model.id === 'sd15')!;
    const { manifest, urls } = await catalogModel(entry, 'fp16', fetch);
    expect(manifest).toMatchObject({ id: 'sd15', precision: 'fp16', defaults: entry.defaults, sizes: entry.sizes });
    expect(manifest.files.find((file) => file.path === 'unet/weights.pb')).toEqual({
      path: 'unet/weights.pb',
      size: 'unet/weights.pb'.length * 1000,
      sha256: sha('unet/weights.pb'),
      externalData: true,
    });
    expect(manifest.files.map((file) => file.path)).toEqual([
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'unet/weights.pb',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'tokenizer/tokenizer_config.json',
      'tokenizer/special_tokens_map.json',
      'scheduler/scheduler_config.json',
    ]);
    expect(urls['unet/weights.pb']).toBe('https://huggingface.co/nmkd/stable-diffusion-1.5-onnx-fp16/resolve/38dacf2c14c89e3538b5e32da888eb9c46e0e1bf/unet/weights.pb');
    expect(requests.every((path) => path.includes('/raw/'))).toBe(true);
  });

  it('reads the VAE encoder from its LFS pointer like the other networks, and leaves it out where the export has none', async () => {
    const { fetch } = hub();
    const sd15 = await catalogModel(catalog.models.find((model) => model.id === 'sd15')!, 'fp16', fetch);
    expect(sd15.manifest.files.find((file) => file.path === 'vae_encoder/model.onnx')).toEqual({ path: 'vae_encoder/model.onnx', size: 'vae_encoder/model.onnx'.length * 1000, sha256: sha('vae_encoder/model.onnx') });
    const lcm = await catalogModel(catalog.models.find((model) => model.id === 'lcm-dreamshaper-v7')!, 'fp16', fetch);
    expect(lcm.manifest.files.map((file) => file.path)).not.toContain('vae_encoder/model.onnx');
  });

  it("carries an inpainting model's 9 UNet channels into the manifest, and fetches its tokenizer from the pinned commit", async () => {
    const { fetch } = hub();
    const { manifest, urls } = await catalogModel(catalog.models.find((model) => model.id === 'sd15-inpainting')!, 'fp32', fetch);
    expect(manifest.unetInChannels).toBe(9);
    expect(manifest.files.filter((file) => file.externalData).map((file) => file.path)).toEqual(['unet/weights.pb']);
    expect(urls['unet/model.onnx']).toBe('https://huggingface.co/botp/stable-diffusion-v1-5-inpainting/resolve/onnx/unet/model.onnx');
    expect(urls['tokenizer/vocab.json']).toBe('https://huggingface.co/botp/stable-diffusion-v1-5-inpainting/resolve/069f0782bc637fcbf3310d985b3d0ebffc668535/tokenizer/vocab.json');
    const sd15 = await catalogModel(catalog.models.find((model) => model.id === 'sd15')!, 'fp16', fetch);
    expect(sd15.manifest).not.toHaveProperty('unetInChannels');
  });
});

describe('hubModel', () => {
  it('fills sizes and hashes the manifest leaves out from the Hub, and keeps the ones it gives', async () => {
    const { fetch } = hub();
    const given = { path: 'tokenizer/merges.txt', size: 5, sha256: 'a'.repeat(64) };
    const paths = ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json', 'scheduler/scheduler_config.json'];
    const text = JSON.stringify({
      id: 'mine',
      name: 'Mine',
      precision: 'fp32',
      files: [...paths.map((path) => ({ path })), given],
      vaeScalingFactor: 0.18215,
      defaults: { width: 512, height: 512, steps: 20, guidance: 7, scheduler: 'euler' },
      sizes: { min: 256, max: 768, multiple: 64 },
    });
    const { manifest, urls } = await hubModel('me/model', 'v1', text, fetch);
    expect(manifest.files.at(-1)).toEqual(given);
    expect(manifest.files[1]).toEqual({ path: 'unet/model.onnx', size: 15000, sha256: sha('unet/model.onnx') });
    expect(urls['unet/model.onnx']).toBe('https://huggingface.co/me/model/resolve/v1/unet/model.onnx');
  });
});
