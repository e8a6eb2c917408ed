import type { PromptAnalysis } from '../../src/shared/prompt.ts';
import { readPrompt, type ChunkLimit } from './prompt-chunks.ts';
import type { ClipTokenizer } from './tokenizer.ts';

/** Tokens shown on each side of a cut. */
const CONTEXT_TOKENS = 6;

/** A prompt as the form shows it: weighted pieces, a count per chunk, what was done and where it is cut. */
export function analysePrompt(tokenizer: ClipTokenizer, prompt: string, limit: ChunkLimit): PromptAnalysis {
  const { pieces, chunks, used, notices } = readPrompt(tokenizer, prompt, limit);
  const analysis: PromptAnalysis = { pieces, chunks: chunks.map((chunk, i) => ({ tokens: chunk.tokens.length, used: i < used })), notices };
  if (used < chunks.length) {
    analysis.cut = {
      kept: tokenizer.decode(chunks[used - 1].tokens.slice(-CONTEXT_TOKENS)),
      dropped: tokenizer.decode(chunks[used].tokens.slice(0, CONTEXT_TOKENS)),
    };
  }
  return analysis;
}
