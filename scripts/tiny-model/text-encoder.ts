import { DType, GraphBuilder } from './onnx-graph.ts';
import { layerNorm, linear } from './layers.ts';
import type { Rng } from './random.ts';

/** Width of the tiny text embedding (`last_hidden_state`'s last axis). */
export const TEXT_DIM = 32;
/** CLIP's fixed context length. */
export const SEQ_LEN = 77;

// Muted far below ordinary tokens, so the ~70 padding positions hardly dilute the prompt.
const SPECIAL_SALIENCE = -6;

/**
 * CLIP-shaped text encoder: token + position embeddings, causal pooling, a Tanh MLP and a final LayerNorm.
 * Without training, CLIP's causal attention is replaced by pooling weighted by a per-token salience, which
 * still lets the padding positions carry the whole prompt, as they do in real CLIP.
 */
export function buildTextEncoder(rng: Rng, vocabSize: number, specialIds: number[]): Uint8Array {
  const g = new GraphBuilder(rng);
  const D = TEXT_DIM;
  const ids = g.input('input_ids', DType.int32, ['batch', SEQ_LEN]);

  const tokens = g.node('Gather', [g.random('token_embedding', [vocabSize, D], 1), ids], { axis: 0 });
  const hidden = g.node('Add', [tokens, g.random('position_embedding', [SEQ_LEN, D], 0.3)]);

  const salience = Array.from({ length: vocabSize }, () => 1 + 0.5 * rng.normal());
  for (const id of specialIds) salience[id] = SPECIAL_SALIENCE;
  const scores = g.node('Unsqueeze', [g.node('Gather', [g.initializer('salience', [vocabSize], salience), ids], { axis: 0 }), g.int64s('axis1', [1])]);
  const causalMask = Array.from({ length: SEQ_LEN * SEQ_LEN }, (_, k) => (k % SEQ_LEN <= Math.floor(k / SEQ_LEN) ? 0 : -1e4));
  const weights = g.node('Softmax', [g.node('Add', [scores, g.initializer('causal_mask', [SEQ_LEN, SEQ_LEN], causalMask)])], { axis: -1 });
  const pooled = linear(g, g.node('MatMul', [weights, hidden]), 'context_proj', D, D, 2);

  const mixed = g.node('Add', [hidden, pooled]);
  const mlp = linear(g, g.node('Tanh', [linear(g, layerNorm(g, mixed, 'mlp_norm', D), 'fc1', D, D, 2)]), 'fc2', D, D);
  const out = layerNorm(g, g.node('Add', [mixed, mlp]), 'final_layer_norm', D);
  g.output(out, 'last_hidden_state', DType.float, ['batch', SEQ_LEN, D]);
  return g.encode('text_encoder');
}
