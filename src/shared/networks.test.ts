import { describe, expect, it } from 'vitest';
import { modelNetworks, networkLabel, networkOf, networkOutputs, networkPath, perNetwork, REQUIRED_NETWORKS } from './networks.ts';

describe('networks', () => {
  it('names each network for users and finds it by its files', () => {
    expect(REQUIRED_NETWORKS.map(networkLabel)).toEqual(['text encoder', 'UNet', 'VAE decoder']);
    expect(networkPath('textEncoder')).toBe('text_encoder/model.onnx');
    expect(networkOf('unet/model.onnx_data')).toBe('unet');
    expect(networkOf('tokenizer/vocab.json')).toBeUndefined();
  });

  it('refuses a value per network that leaves out a required one', () => {
    expect(perNetwork((name) => name.length)).toEqual({ textEncoder: 11, unet: 4, vaeDecoder: 10, vaeEncoder: 10 });
    expect(() => perNetwork((name) => (name === 'unet' ? undefined : 1))).toThrow('No value for the UNet, which every model needs');
  });

  it('counts the VAE encoder only where a model has its graph, under either output name', () => {
    expect(modelNetworks(['unet/model.onnx'])).toEqual(['textEncoder', 'unet', 'vaeDecoder']);
    expect(modelNetworks(['vae_encoder/model.onnx'])).toEqual(['textEncoder', 'unet', 'vaeDecoder', 'vaeEncoder']);
    expect(networkOutputs('vaeEncoder')).toEqual(['latent_parameters', 'latent_sample']);
    expect(networkOutputs('unet')).toEqual(['out_sample']);
  });
});
