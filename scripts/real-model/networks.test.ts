import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { DType } from '../tiny-model/onnx-graph.ts';
import { architecture, ARCHITECTURES, type ArchitectureId } from './architectures.ts';
import { parameterCount, type Precision } from './graph.ts';
import { NETWORKS, REQUIRED_NETWORKS, type RequiredNetwork } from '../../src/shared/networks.ts';
import { buildNetwork } from './networks.ts';

const { onnx } = onnxProto;

// Parameter counts of the published networks (diffusers / transformers, counted with sum(p.numel())).
const REAL_PARAMETERS: Record<ArchitectureId, Record<RequiredNetwork, number>> = {
  'sd-turbo': { textEncoder: 340.39e6, unet: 865.91e6, vaeDecoder: 49.49e6 },
  sd15: { textEncoder: 123.06e6, unet: 859.52e6, vaeDecoder: 49.49e6 },
  lcm: { textEncoder: 123.06e6, unet: 859.52e6, vaeDecoder: 49.49e6 },
};

type Dims = (number | string)[];
const io = (values: onnxProto.onnx.IValueInfoProto[] | undefined) =>
  Object.fromEntries(
    (values ?? []).map((v) => [v.name, { type: v.type!.tensorType!.elemType, dims: v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)) as Dims }]),
  );
const described = (network: RequiredNetwork, id: ArchitectureId, precision: Precision = 'fp32', widthScale = 1) => {
  const g = buildNetwork(network, architecture(id, widthScale), precision);
  const { graph } = g.skeleton(NETWORKS[network].folder);
  return { g, graph, inputs: io(graph.input ?? undefined), outputs: io(graph.output ?? undefined), ops: new Set(graph.node!.map((n) => n.opType)) };
};

describe.each(ARCHITECTURES)('the %s architecture, described without weights', (id) => {
  it.each(REQUIRED_NETWORKS)('has the real %s parameter count within 1%%', (network) => {
    const count = parameterCount(described(network, id).g);
    expect(Math.abs(count / REAL_PARAMETERS[id][network] - 1)).toBeLessThan(0.01);
  });

  it('has the I/O names, types and shapes of the published ONNX exports', () => {
    const width = id === 'sd-turbo' ? 1024 : 768;
    const text = described('textEncoder', id);
    expect(text.inputs).toEqual({ input_ids: { type: DType.int32, dims: ['batch', 'sequence'] } });
    expect(text.outputs).toEqual({
      last_hidden_state: { type: DType.float, dims: ['batch', 'sequence', width] },
      pooler_output: { type: DType.float, dims: ['batch', width] },
    });
    const unet = described('unet', id);
    const latents = { type: DType.float, dims: ['batch', 4, 'height', 'width'] };
    expect(unet.inputs).toEqual({
      sample: latents,
      timestep: { type: DType.int64, dims: ['batch'] },
      encoder_hidden_states: { type: DType.float, dims: ['batch', 'sequence', width] },
      ...(id === 'lcm' ? { timestep_cond: { type: DType.float, dims: ['batch', 256] } } : {}),
    });
    expect(unet.outputs).toEqual({ out_sample: latents });
    const vae = described('vaeDecoder', id);
    expect(vae.inputs).toEqual({ latent_sample: { type: DType.float, dims: ['batch', 4, 'latent_height', 'latent_width'] } });
    expect(vae.outputs).toEqual({ sample: { type: DType.float, dims: ['batch', 3, 'height', 'width'] } });
  });

  it('uses the ops torch.onnx exports at opset 17', () => {
    const unet = described('unet', id);
    for (const op of ['InstanceNormalization', 'Erf', 'Softmax', 'MatMul', 'Resize', 'Conv', 'LayerNormalization']) expect(unet.ops).toContain(op);
    expect(unet.ops).not.toContain('GroupNormalization');
    expect(unet.ops.has('Gemm') || unet.ops.has('MultiHeadAttention')).toBe(false);
    const text = described('textEncoder', id);
    expect(text.ops).toContain(id === 'sd-turbo' ? 'Erf' : 'Sigmoid');
    expect(described('vaeDecoder', id).ops).toContain('Resize');
  });

  it('in fp16 has only float16 weights and float32 I/O, cast at the edges', () => {
    for (const network of REQUIRED_NETWORKS) {
      const fp32 = described(network, id);
      const fp16 = described(network, id, 'fp16');
      expect({ inputs: fp16.inputs, outputs: fp16.outputs }).toEqual({ inputs: fp32.inputs, outputs: fp32.outputs });
      const floatWeights = fp16.g.weights().filter((w) => w.dataType === DType.float);
      // Only what ONNX requires in float32 stays so: Resize scales and the sinusoid frequencies computed before the cast.
      expect(floatWeights.every((w) => /^(upsample\.scales|time_proj\.frequencies)/.test(w.name))).toBe(true);
      expect(fp16.graph.node!.filter((n) => n.opType === 'Cast').length).toBeGreaterThanOrEqual(Object.keys(fp16.outputs).length);
    }
  });

  it('keeps its layers, heads and I/O when narrowed for tests', () => {
    const full = described('unet', id);
    const narrow = described('unet', id, 'fp32', 32);
    expect(narrow.graph.node!.map((n) => n.opType)).toEqual(full.graph.node!.map((n) => n.opType));
    expect(Object.keys(narrow.inputs)).toEqual(Object.keys(full.inputs));
    expect(parameterCount(narrow.g)).toBeLessThan(parameterCount(full.g) / 500);
  });
});

describe('architecture()', () => {
  it('refuses width scales that would not divide the heads and groups', () => {
    expect(() => architecture('sd15', 3)).toThrow(/power of two/);
    expect(() => architecture('sd15', 128)).toThrow(/power of two/);
  });

  it('divides widths so attention heads and GroupNorm groups still split them evenly', () => {
    for (const id of ARCHITECTURES) {
      for (const scale of [1, 2, 4, 8, 16, 32, 64]) {
        const { unet, textEncoder, vaeDecoder } = architecture(id, scale);
        unet.blockChannels.forEach((c, i) => expect([c % unet.heads[i], c % unet.groups]).toEqual([0, 0]));
        vaeDecoder.blockChannels.forEach((c) => expect(c % vaeDecoder.groups).toBe(0));
        expect(textEncoder.width % textEncoder.heads).toBe(0);
        expect(unet.crossAttentionDim).toBe(textEncoder.width);
      }
    }
  });
});
