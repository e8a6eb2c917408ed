/**
 * Text conditioning for one job. A prompt and negative prompt without
 * emphasis, within one chunk, take diffusers' path unchanged: ids from
 * `tokenizer.encode`, embeddings left where the text encoder put them (on
 * the GPU). Anything else runs the text encoder once over every chunk of
 * both prompts, weighs the embeddings on the CPU and concatenates each
 * prompt's chunks along the sequence axis, as AUTOMATIC1111 does.
 */
import type { GenerationSettings } from '../../src/shared/settings.ts';
import type { DiffusionComponents, TextEmbeddings } from './components.ts';
import { DEFAULT_LIMIT, readPrompt, type ChunkLimit, type PromptChunk } from './prompt-chunks.ts';
import { emphasize } from './prompt-weights.ts';
import type { ClipTokenizer } from './tokenizer.ts';

/** What the text encoder runs: prompts are `[negative, prompt]` under classifier-free guidance, else `[prompt]`. */
export type TextPlan =
  | { kind: 'plain'; ids: Int32Array; batch: number }
  /** `batch * chunks` framed rows, prompt-major, and a weight per id. */
  | { kind: 'chunked'; ids: Int32Array; weights: Float32Array; batch: number; chunks: number };

const EMPTY: PromptChunk = { tokens: [], weights: [] };

export function planText(tokenizer: ClipTokenizer, prompts: readonly string[], limit: ChunkLimit = DEFAULT_LIMIT): TextPlan {
  const readings = prompts.map((prompt) => readPrompt(tokenizer, prompt, limit));
  // A1111's pad_cond_uncond: the shorter prompt gets empty chunks; a fixed export takes exactly its count.
  const chunks = limit.fixed ? limit.chunks : Math.max(...readings.map((reading) => reading.used));
  const frame = tokenizer.maxLength;
  if (chunks === 1 && readings.every((reading) => reading.plain)) {
    const ids = new Int32Array(frame * prompts.length);
    prompts.forEach((prompt, i) => ids.set(tokenizer.encode(prompt), i * frame));
    return { kind: 'plain', ids, batch: prompts.length };
  }
  const rows = prompts.length * chunks;
  const ids = new Int32Array(rows * frame);
  const weights = new Float32Array(rows * frame).fill(1);
  readings.forEach((reading, p) => {
    for (let c = 0; c < chunks; c++) {
      const chunk = c < reading.used ? reading.chunks[c] : EMPTY;
      const row = (p * chunks + c) * frame;
      ids.set(tokenizer.frame(chunk.tokens), row);
      weights.set(chunk.weights.slice(0, frame - 2), row + 1);
    }
  });
  return { kind: 'chunked', ids, weights, batch: prompts.length, chunks };
}

/** `[negative, prompt]` under classifier-free guidance, else `[prompt]`, as diffusers batches them. */
export function promptsFor(settings: GenerationSettings, guided: boolean): string[] {
  return guided ? [settings.negativePrompt, settings.prompt] : [settings.prompt];
}

export async function encodePrompts(components: DiffusionComponents, plan: TextPlan): Promise<TextEmbeddings> {
  if (plan.kind === 'plain') return components.encodeText(plan.ids, plan.batch);
  const rows = plan.batch * plan.chunks;
  const frame = plan.ids.length / rows;
  const z = await components.encodeTextRows(plan.ids, rows);
  const rowSize = z.length / rows;
  for (let r = 0; r < rows; r++) {
    emphasize(z.subarray(r * rowSize, (r + 1) * rowSize), plan.weights.subarray(r * frame, (r + 1) * frame));
  }
  // Rows are prompt-major, so [batch * chunks, 77, width] already is [batch, chunks * 77, width].
  return components.textFromCpu(z, plan.batch, plan.chunks * frame);
}
