import type { ModelSource } from '../src/shared/model.ts';
import type { PromptApi } from '../src/shared/prompt.ts';
import { loadTokenizer } from './model-tokenizer.ts';
import { analysePrompt } from './pipeline/prompt-analysis.ts';
import { chunkLimit } from './pipeline/prompt-chunks.ts';
import type { ClipTokenizer } from './pipeline/tokenizer.ts';

/** The prompt worker's service: the last model's tokenizer is kept, since the form asks on every keystroke. */
export function createPromptService(load: (source: ModelSource) => Promise<ClipTokenizer> = loadTokenizer): PromptApi {
  let cached: { key: string; tokenizer: Promise<ClipTokenizer> } | undefined;
  return {
    async analyse(source, prompts, fixedTextLength) {
      const key = JSON.stringify([source.kind, source.manifest]);
      if (cached?.key !== key) {
        const tokenizer = load(source);
        cached = { key, tokenizer };
        // A failed read is tried again on the next call rather than remembered.
        tokenizer.catch(() => {
          if (cached?.tokenizer === tokenizer) cached = undefined;
        });
      }
      const tokenizer = await cached.tokenizer;
      const limit = chunkLimit(fixedTextLength);
      return prompts.map((prompt) => analysePrompt(tokenizer, prompt, limit));
    },
  };
}
