/**
 * Long prompts as AUTOMATIC1111 splits them (`tokenize_line` in its
 * modules/sd_hijack_clip.py): 75-token chunks, each later framed by its own
 * start and end tokens; a chunk that fills up moves the text after its last
 * comma within the final 20 tokens into the next chunk; `BREAK` ends a chunk.
 */
import { CHUNK_TOKENS, isBreak, MAX_CHUNKS, type PromptNotice, type WeightedText } from '../../src/shared/prompt.ts';
import { parsePromptAttention } from './prompt-attention.ts';
import type { ClipTokenizer } from './tokenizer.ts';

/** A1111's default `comma_padding_backtrack`. */
export const COMMA_BACKTRACK = 20;

/** Up to 75 tokens and their weights, before framing; shorter when a comma or `BREAK` ended it early. */
export interface PromptChunk {
  tokens: number[];
  weights: number[];
}

/** How many chunks reach the UNet: a fixed count where its export fixes the text length, else at most `MAX_CHUNKS`. */
export interface ChunkLimit {
  chunks: number;
  fixed: boolean;
}

export const DEFAULT_LIMIT: ChunkLimit = { chunks: MAX_CHUNKS, fixed: false };

/** The limit a UNet's fixed text length (`encoder_hidden_states` dim 1, a multiple of 77) sets; none when it is dynamic. */
export function chunkLimit(fixedTextLength: number | undefined, frameLength = CHUNK_TOKENS + 2): ChunkLimit {
  if (fixedTextLength === undefined) return DEFAULT_LIMIT;
  return { chunks: Math.max(1, Math.floor(fixedTextLength / frameLength)), fixed: true };
}

/**
 * Splits tokenized pieces into chunks. With `backtrack` 0 a chunk is cut at
 * exactly 75 tokens, as when only the first chunk is used and moving its tail
 * on would only lose it.
 */
export function chunkPieces(
  pieces: readonly WeightedText[],
  tokenize: (text: string) => number[],
  commaId: number | undefined,
  backtrack = COMMA_BACKTRACK,
): PromptChunk[] {
  const chunks: PromptChunk[] = [];
  let chunk: PromptChunk = { tokens: [], weights: [] };
  let lastComma = -1;
  const next = () => {
    chunks.push(chunk);
    chunk = { tokens: [], weights: [] };
    lastComma = -1;
  };
  for (const piece of pieces) {
    if (isBreak(piece)) {
      next();
      continue;
    }
    for (const token of tokenize(piece.text)) {
      if (token === commaId) {
        lastComma = chunk.tokens.length;
      } else if (backtrack > 0 && chunk.tokens.length === CHUNK_TOKENS && lastComma !== -1 && CHUNK_TOKENS - lastComma <= backtrack) {
        const moved = { tokens: chunk.tokens.splice(lastComma + 1), weights: chunk.weights.splice(lastComma + 1) };
        next();
        chunk = moved;
      }
      if (chunk.tokens.length === CHUNK_TOKENS) next();
      chunk.tokens.push(token);
      chunk.weights.push(piece.weight);
    }
  }
  if (chunk.tokens.length > 0 || chunks.length === 0) chunks.push(chunk);
  return chunks;
}

/** A prompt as the engine reads it. */
export interface PromptReading {
  pieces: WeightedText[];
  /** Every chunk; only the first `used` reach the UNet. */
  chunks: PromptChunk[];
  used: number;
  notices: PromptNotice[];
  /**
   * No emphasis, nothing the parser changed, one chunk: the text encoder gets
   * `tokenizer.encode(prompt)`, exactly what diffusers feeds.
   */
  plain: boolean;
}

export function readPrompt(tokenizer: ClipTokenizer, prompt: string, limit: ChunkLimit = DEFAULT_LIMIT): PromptReading {
  const { pieces, notices } = parsePromptAttention(prompt);
  const backtrack = limit.chunks === 1 ? 0 : COMMA_BACKTRACK;
  const chunks = chunkPieces(pieces, (text) => tokenizer.tokenize(text), tokenizer.vocab.get(',</w>'), backtrack);
  const used = Math.min(chunks.length, limit.chunks);
  if (used < chunks.length) notices.push({ kind: 'cut', used, total: chunks.length, reason: limit.fixed ? 'fixed-export' : 'limit' });
  const plain = pieces.length === 1 && pieces[0].text === prompt && pieces[0].weight === 1 && chunks.length === 1;
  return { pieces, chunks, used, notices, plain };
}
