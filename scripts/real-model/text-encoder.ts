/**
 * CLIPTextModel as transformers exports it: token and position embeddings,
 * pre-LayerNorm transformer layers under a causal mask, a final LayerNorm, and
 * `pooler_output` read at the end token (the highest id, as CLIP's legacy
 * argmax pooling finds it).
 */
import { DType } from '../tiny-model/onnx-graph.ts';
import { layerNorm, linear } from '../tiny-model/layers.ts';
import type { TextEncoderConfig } from './architectures.ts';
import { RealGraphBuilder } from './graph.ts';
import { attention, gelu, quickGelu } from './layers.ts';

// torch.finfo(dtype).min, the value transformers fills masked positions with.
const MASK_MIN = { fp32: -3.4028234663852886e38, fp16: -65504 };

function causalMask(g: RealGraphBuilder, positions: number, length: string): string {
  const values = Array.from({ length: positions * positions }, (_, k) => (k % positions <= Math.floor(k / positions) ? 0 : MASK_MIN[g.precision]));
  const mask = g.initializer('causal_mask', [positions, positions], values);
  const ends = g.node('Concat', [length, length], { axis: 0 });
  return g.node('Slice', [mask, g.int64s('mask.starts', [0, 0]), ends, g.int64s('mask.axes', [0, 1])]);
}

function encoderLayer(g: RealGraphBuilder, x: string, index: number, config: TextEncoderConfig, mask: string): string {
  const name = `text_model.encoder.layers.${index}`;
  const { width, heads, mlp } = config;
  const normed = layerNorm(g, x, `${name}.layer_norm1`, width);
  const attended = g.node('Add', [x, attention(g, normed, normed, `${name}.self_attn`, { dim: width, heads, contextDim: width, qkvBias: true, mask })]);
  const hidden = linear(g, layerNorm(g, attended, `${name}.layer_norm2`, width), `${name}.mlp.fc1`, width, mlp);
  const activated = config.activation === 'gelu' ? gelu(g, hidden) : quickGelu(g, hidden);
  return g.node('Add', [attended, linear(g, activated, `${name}.mlp.fc2`, mlp, width)]);
}

/** The text encoder graph; weights are drawn only when written. */
export function buildTextEncoder(g: RealGraphBuilder, config: TextEncoderConfig): RealGraphBuilder {
  const { width, positions } = config;
  const ids = g.input('input_ids', DType.int32, ['batch', 'sequence']);
  const length = g.node('Slice', [g.node('Shape', [ids]), g.int64s('sequence.start', [1]), g.int64s('sequence.end', [2])]);

  const tokens = g.node('Gather', [g.random('text_model.embeddings.token_embedding.weight', [config.vocabSize, width], 1), ids], { axis: 0 });
  const table = g.random('text_model.embeddings.position_embedding.weight', [positions, width], 0.3);
  const places = g.node('Slice', [table, g.int64s('position.start', [0]), length, g.int64s('position.axis', [0])]);
  let x = g.node('Add', [tokens, places]);

  const mask = causalMask(g, positions, length);
  for (let i = 0; i < config.layers; i++) x = encoderLayer(g, x, i, config, mask);
  const last = layerNorm(g, x, 'text_model.final_layer_norm', width);

  // [batch] end positions -> [batch, 1, width] indices for GatherElements along the sequence.
  const end = g.node('ArgMax', [ids], { axis: -1, keepdims: 1 });
  const index = g.node('Expand', [g.node('Unsqueeze', [end, g.int64s('pool.axis', [2])]), g.int64s('pool.expand', [1, 1, width])]);
  const pooled = g.node('Squeeze', [g.node('GatherElements', [last, index], { axis: 1 }), g.int64s('pool.squeeze', [1])]);

  g.output(g.toFloat32(last), 'last_hidden_state', DType.float, ['batch', 'sequence', width]);
  g.output(g.toFloat32(pooled), 'pooler_output', DType.float, ['batch', width]);
  return g;
}
